using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.ServiceModel.Syndication;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml;
using OrleansDetect.Client.Gateway;
using OrleansDetect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansDetect.Tests.Failover;

[Collection(ScaleOutCollection.Name)]
public sealed class SiloKillTests(ScaleOutFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan DeathTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Open_alerts_survive_kill_9_of_their_silo_none_lost_none_posted_twice_feed_unchanged()
    {
        await fixture.EnsureSilosAsync();
        var entry = fixture.Silos[0];
        var workloads = Enumerable.Range(0, 6).Select(i => Flows.UniqueWorkload($"kill-alert{i}")).ToArray();
        foreach (var workload in workloads)
        {
            using var response = await fixture.PostFlowsAsync(entry, ScaleOutFixture.SweepNdjson(workload, 30, 22));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var before = await AlertsOf(entry, workloads);
        Assert.Equal(workloads.Length, before.Count);
        Assert.True(await WaitForSlackPosts(before.Keys, TimeSpan.FromSeconds(30)), "every new alert reaches Slack before the kill");
        // The feed answers a delivery only once it is written: what it shows now survives any kill.
        var feedBefore = await FeedItems(entry, before.Keys);

        // The victim is the silo hosting the most of these alerts' grains; on a tie, the feed's host, so the feed's
        // state is put to the test as well when it can be.
        var client = await fixture.ClusterClient();
        var feedHost = await fixture.HostOf(client.GetGrain<IAlertFeedGrain>(IAlertFeedGrain.Key));
        var alertHosts = new Dictionary<string, SiloProcess?>();
        foreach (var (id, alert) in before)
        {
            alertHosts[id] = await fixture.HostOf(client.GetGrain<IAlertGrain>(AlertIds.GrainKey(Fingerprint(alert))));
        }

        var victim = alertHosts.Values.OfType<SiloProcess>()
            .GroupBy(host => host)
            .OrderByDescending(hosted => hosted.Count())
            .ThenByDescending(hosted => hosted.Key == feedHost)
            .Select(hosted => hosted.Key)
            .FirstOrDefault();
        var onVictim = alertHosts.Values.Count(host => host is not null && host == victim);
        Assert.True(victim is not null && onVictim > 0,
            $"no silo hosts any of the alert grains: {string.Join(", ", alertHosts.Select(a => $"{a.Key} on {a.Value?.SiloPort.ToString() ?? "none"}"))}");
        output.WriteLine($"killing silo :{victim.SiloPort}, host of {onVictim} of {before.Count} alert grains{(victim == feedHost ? " and the feed" : "")}");
        await victim.KillAsync();
        await fixture.WaitDeclaredDeadAsync(victim, DeathTimeout);
        var survivor = fixture.Silos.First(s => !s.HasExited);

        var after = await AlertsOf(survivor, workloads);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (id, alert) in before)
        {
            Assert.Equal(alert["updates"]!.GetValue<int>(), after[id]["updates"]!.GetValue<int>());
            Assert.Equal(alert["distinctTargets"]!.GetValue<int>(), after[id]["distinctTargets"]!.GetValue<int>());
        }

        Assert.Equal(feedBefore, await FeedItems(survivor, before.Keys));

        // The alerts' state (sequence, open alert) survived: a new sweep of the same port updates the same alerts
        // instead of opening new ones. (It has 30 fresh targets, so the alert grows whether or not the moved
        // workload's windows checkpoint was written before the kill.)
        foreach (var workload in workloads)
        {
            using var response = await fixture.PostFlowsAsync(survivor, ScaleOutFixture.SweepNdjson(workload, 30, 22, firstTarget: 30));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var updated = await AlertsOf(survivor, workloads);
        Assert.Equal(before.Keys.Order(), updated.Keys.Order());
        Assert.All(updated, a => Assert.True(a.Value["updates"]!.GetValue<int>() > before[a.Key]["updates"]!.GetValue<int>(), $"{a.Key} was updated"));

        // Re-activated alert grains would re-post anything not acknowledged; give them time, then count.
        await Task.Delay(TimeSpan.FromSeconds(3));
        foreach (var id in before.Keys)
        {
            Assert.Equal(1, fixture.Slack.Delivered.Count(body => body.Contains(id, StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task Learned_baseline_survives_kill_9_of_the_silo_that_hosted_it()
    {
        await fixture.EnsureSilosAsync();
        var entry = fixture.Silos[0];
        var workload = Flows.UniqueWorkload("kill-baseline");

        // An hour of event time: DoT to Cloudflare every minute, so the workload learns its resolver.
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var learning = new StringBuilder();
        for (var minute = 0; minute < 60; minute++)
        {
            learning.Append(Flows.NdjsonLine(workload, start.AddMinutes(minute), "10.0.0.5", "1.1.1.1", 853, "established")).Append('\n');
        }

        using (var response = await fixture.PostFlowsAsync(entry, learning.ToString()))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var before = (await WorkloadView(entry, workload))["baseline"]!;
        Assert.Equal("learned", before["status"]!.GetValue<string>());
        Assert.Contains(before["resolvers"]!.AsArray(), r => r!["address"]!.GetValue<string>() == "1.1.1.1");

        // The README promises at most one write interval of learning is lost; wait past it, then kill.
        await Task.Delay(ScaleOutFixture.BaselineWriteInterval * 3);
        var client = await fixture.ClusterClient();
        var victim = await fixture.HostOf(client.GetGrain<IWorkloadGrain>(workload));
        Assert.NotNull(victim);
        await victim.KillAsync();
        await fixture.WaitDeclaredDeadAsync(victim, DeathTimeout);
        var survivor = fixture.Silos.First(s => !s.HasExited);

        // Reactivate it elsewhere with one ordinary event at the same event time, then read the baseline back.
        var last = start.AddMinutes(59);
        using (var response = await fixture.PostFlowsAsync(survivor, Flows.NdjsonLine(workload, last, "10.0.0.5", "10.1.0.1", 5432, "established") + "\n"))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var newHost = await fixture.HostOf(client.GetGrain<IWorkloadGrain>(workload));
        Assert.NotNull(newHost);
        Assert.NotEqual(victim.SiloPort, newHost.SiloPort);
        var after = (await WorkloadView(survivor, workload))["baseline"]!;
        Assert.Equal("learned", after["status"]!.GetValue<string>());
        Assert.Equal(before["learnedAt"]!.GetValue<DateTimeOffset>(), after["learnedAt"]!.GetValue<DateTimeOffset>());
        Assert.True(JsonNode.DeepEquals(before["resolvers"], after["resolvers"]),
            $"resolvers before the kill: {before["resolvers"]!.ToJsonString()}; after: {after["resolvers"]!.ToJsonString()}");
    }

    [Fact]
    public async Task Ingest_under_a_silo_kill_sees_only_retried_errors_and_every_accepted_event_is_counted()
    {
        await fixture.EnsureSilosAsync();
        var workloads = Enumerable.Range(0, 12).Select(i => Flows.UniqueWorkload($"kill-ingest{i}")).ToArray();
        const int eventsPerWorkload = 5;
        using var gateway = new HttpGateway(new GatewaySettings(fixture.Silos.Select(s => s.BaseAddress).ToArray(), null, MaxAttempts: 12));
        var batches = new ConcurrentQueue<(long StartedTicks, long AnsweredTicks, IngestOutcome Outcome)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();

        var sender = Task.Run(async () =>
        {
            for (var n = 0; n < 10_000 && !stop.IsCancellationRequested; n++)
            {
                var body = Encoding.UTF8.GetBytes(EstablishedBatch(workloads, eventsPerWorkload, n));
                var started = clock.ElapsedTicks;
                var outcome = await gateway.PostFlowsAsync(body, CancellationToken.None);
                batches.Enqueue((started, clock.ElapsedTicks, outcome));
                await Task.Delay(20);
            }
        });

        while (batches.IsEmpty && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
        var client = await fixture.ClusterClient();
        var placement = new Dictionary<string, int>();
        foreach (var workload in workloads) placement[workload] = (await fixture.HostOf(client.GetGrain<IWorkloadGrain>(workload)))?.SiloPort ?? 0;
        var victim = fixture.Silos.Where(s => placement.ContainsValue(s.SiloPort)).MaxBy(s => placement.Values.Count(p => p == s.SiloPort))!;
        var moved = placement.Where(p => p.Value == victim.SiloPort).Select(p => p.Key).ToHashSet();

        await Task.Delay(500);
        var killedAt = clock.ElapsedTicks;
        await victim.KillAsync();
        await fixture.WaitDeclaredDeadAsync(victim, DeathTimeout);
        var deadAt = clock.ElapsedTicks;
        // Keep sending until several batches sent after the death have been answered (bounded).
        var waitAfterDeath = Stopwatch.StartNew();
        while (batches.Count(b => b.StartedTicks > deadAt) < 5 && waitAfterDeath.Elapsed < TimeSpan.FromSeconds(90)) await Task.Delay(100);
        await stop.CancelAsync();
        await sender.WaitAsync(TimeSpan.FromMinutes(3));

        var all = batches.ToArray();
        Assert.All(all, b => Assert.True(b.Outcome.Succeeded, b.Outcome.Failure));
        var firstAfterKill = all.Where(b => b.StartedTicks > killedAt).MinBy(b => b.AnsweredTicks);
        output.WriteLine($"{all.Length} batches, {all.Sum(b => b.Outcome.Attempts - 1)} retried requests; {moved.Count} of {workloads.Length} workloads moved; " +
                         $"kill → declared dead {TimeSpan.FromTicks((long)((deadAt - killedAt) * (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)).TotalSeconds:0.0} s, " +
                         $"kill → first 202 of a batch sent after it {TimeSpan.FromTicks((long)((firstAfterKill.AnsweredTicks - killedAt) * (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)).TotalSeconds:0.0} s");

        // The longest time without any 202 after the kill: how long ingest stalled cluster-wide.
        var answeredAfterKill = all.Select(b => b.AnsweredTicks).Where(t => t > killedAt).Order().Prepend(killedAt).ToArray();
        var longestGap = answeredAfterKill.Zip(answeredAfterKill.Skip(1), (a, b) => b - a).DefaultIfEmpty(0).Max();
        output.WriteLine($"longest time without a 202 after the kill: {longestGap / (double)Stopwatch.Frequency:0.0} s");

        var survivor = fixture.Silos.First(s => !s.HasExited);
        foreach (var workload in workloads)
        {
            // A moved workload's counters lose what came after its last baseline write (its traffic holds no failed
            // attempt, so it writes no windows checkpoint; README "Windows checkpoint"); what was accepted after it was
            // declared dead must all be counted by its new activation. An unmoved one counts everything.
            var counted = moved.Contains(workload) ? all.Where(b => b.StartedTicks > deadAt) : all;
            var expected = counted.Count() * eventsPerWorkload;
            var view = await WorkloadView(survivor, workload);
            Assert.True(view["eventsSeen"]!.GetValue<long>() >= expected, $"{workload}: counted {view["eventsSeen"]}, accepted at least {expected}");
        }

        // Detection continues for a workload that moved.
        var sweeper = moved.Count > 0 ? moved.First() : workloads[0];
        using (var response = await fixture.PostFlowsAsync(survivor, ScaleOutFixture.SweepNdjson(sweeper, 30, 23)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        Assert.NotEmpty(await AlertsOf(survivor, [sweeper]));
    }

    private static string EstablishedBatch(string[] workloads, int perWorkload, int n)
    {
        var sb = new StringBuilder();
        var ts = DateTimeOffset.UtcNow;
        foreach (var workload in workloads)
        {
            for (var i = 0; i < perWorkload; i++)
            {
                sb.Append(Flows.NdjsonLine(workload, ts, "10.0.0.5", $"10.9.{n % 250}.{i + 1}", 443, state: "established")).Append('\n');
            }
        }

        return sb.ToString();
    }

    private static string Fingerprint(JsonObject alert) => alert["fingerprint"]!.GetValue<string>();

    private async Task<Dictionary<string, JsonObject>> AlertsOf(SiloProcess silo, IEnumerable<string> workloads)
    {
        var alerts = new Dictionary<string, JsonObject>();
        foreach (var workload in workloads)
        {
            foreach (var alert in await Eventually.ListedAlerts(fixture.Http, workload, baseAddress: silo.BaseAddress))
            {
                alerts[alert.GetProperty("id").GetString()!] = JsonNode.Parse(alert.GetRawText())!.AsObject();
            }
        }

        return alerts;
    }

    private async Task<JsonObject> WorkloadView(SiloProcess silo, string workload) =>
        (await fixture.Http.GetFromJsonAsync<JsonObject>(new Uri(silo.BaseAddress, $"api/v1/hosts/{workload}")))!;

    /// <summary>The feed's items for these alerts as (guid, title), in feed order.</summary>
    private async Task<string[]> FeedItems(SiloProcess silo, IEnumerable<string> ids)
    {
        var wanted = ids.ToHashSet();
        await using var stream = await fixture.Http.GetStreamAsync(new Uri(silo.BaseAddress, "alerts.rss"));
        using var reader = XmlReader.Create(stream);
        var feed = SyndicationFeed.Load(reader);
        return [.. feed.Items.Where(i => wanted.Any(id => i.Id.Contains(id, StringComparison.Ordinal))).Select(i => $"{i.Id}|{i.Title.Text}")];
    }

    private async Task<bool> WaitForSlackPosts(IEnumerable<string> ids, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var wanted = ids.ToArray();
        while (clock.Elapsed < timeout)
        {
            var bodies = fixture.Slack.Delivered.ToArray();
            if (wanted.All(id => bodies.Any(b => b.Contains(id, StringComparison.Ordinal)))) return true;
            await Task.Delay(200);
        }

        return false;
    }
}

using System.Diagnostics;
using System.Net;
using System.ServiceModel.Syndication;
using System.Text;
using System.Xml;
using OrleansDetect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansDetect.Tests.Failover;

/// <summary>
/// The alert outbox against real silo processes and a real Redis: whatever silo dies right after the 202 that raised
/// alerts, and even when the whole cluster stops, every alert ends up in RSS once and on Slack at least once.
/// </summary>
[Collection(ScaleOutCollection.Name)]
public sealed class OutboxFailoverTests(ScaleOutFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("feed")]
    [InlineData("alerts")]
    public async Task Kill_9_right_after_the_202_loses_no_alert_from_rss_or_slack(string victimRole)
    {
        await fixture.EnsureSilosAsync();
        var client = await fixture.ClusterClient();
        await client.GetGrain<IAlertFeedGrain>(IAlertFeedGrain.Key).GetRecent(1);
        var feedHost = await fixture.HostOf(client.GetGrain<IAlertFeedGrain>(IAlertFeedGrain.Key));

        // Activate six alert grains first (a read changes nothing), so the victim can be chosen. Placement may put all
        // six beside the feed; then another six, a bounded number of times, until one lives elsewhere.
        string[] workloads = [], grainKeys = [];
        var alertHosts = new List<SiloProcess?>();
        SiloProcess? victim = null;
        for (var attempt = 0; attempt < 5 && victim is null; attempt++)
        {
            workloads = Enumerable.Range(0, 6).Select(i => Flows.UniqueWorkload($"outbox-{victimRole}{i}")).ToArray();
            grainKeys = workloads.Select(w => AlertIds.GrainKey($"{w}|{DetectionTypes.PortSweep}|tcp/22|{Scopes.Public}")).ToArray();
            alertHosts.Clear();
            foreach (var key in grainKeys) await client.GetGrain<IAlertGrain>(key).Get("none");
            foreach (var key in grainKeys) alertHosts.Add(await fixture.HostOf(client.GetGrain<IAlertGrain>(key)));
            victim = victimRole == "feed"
                ? feedHost
                : alertHosts.OfType<SiloProcess>().Where(s => s != feedHost).GroupBy(s => s).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();
        }

        Assert.True(victim is not null, $"no {victimRole} host to kill after 5 placements");
        var entry = fixture.Silos.First(s => s != victim);
        output.WriteLine($"killing :{victim.SiloPort} ({victimRole}; it hosts {alertHosts.Count(h => h == victim)} of 6 alert grains{(victim == feedHost ? " and the feed" : "")})");

        var batch = new StringBuilder();
        foreach (var workload in workloads) batch.Append(ScaleOutFixture.SweepNdjson(workload, 30, 22));
        var slackBefore = fixture.Slack.Delivered.Count;
        using (var response = await fixture.PostFlowsAsync(entry, batch.ToString()))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            await victim.KillAsync();
        }

        var killed = Stopwatch.StartNew();
        var survivors = fixture.Silos.Where(s => !s.HasExited).ToArray();

        // Readers keep reading through the failover: 200 (possibly stale) or 503 with Retry-After, never anything else.
        var statuses = new List<HttpStatusCode>();
        string[] guids = [];
        while (killed.Elapsed < Recovery)
        {
            var reader = survivors[statuses.Count % survivors.Length];
            using var response = await fixture.Http.GetAsync(new Uri(reader.BaseAddress, "alerts.rss"));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.NotNull(response.Headers.RetryAfter);
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                guids = Guids(await response.Content.ReadAsStringAsync(), grainKeys);
                if (grainKeys.All(k => guids.Any(g => g.StartsWith(k + "-", StringComparison.Ordinal)))) break;
            }

            // Readiness does not hang on the grain that is moving: the survivors stay in the load balancer.
            Assert.Equal(HttpStatusCode.OK, await fixture.ReadyStatusAsync(reader));
            await Task.Delay(100);
        }

        var allInFeed = killed.Elapsed;
        output.WriteLine($"all six in the feed {allInFeed.TotalSeconds:0.0} s after the kill; {statuses.Count} reads: " +
                         string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{(int)g.Key}×{g.Count()}")));
        Assert.All(grainKeys, key => Assert.Single(guids, g => g.StartsWith(key + "-", StringComparison.Ordinal)));

        // Slack: every alert at least once; a failover may repeat a post, never more than once per alert.
        var posts = await Eventually.Until(
            () => Task.FromResult(fixture.Slack.Delivered.Skip(slackBefore).ToArray()),
            bodies => grainKeys.All(k => bodies.Any(b => b.Contains(k, StringComparison.Ordinal))),
            Recovery);
        output.WriteLine($"all six on Slack {killed.Elapsed.TotalSeconds:0.0} s after the kill");
        var perAlert = grainKeys.Select(k => posts.Count(b => b.Contains(k, StringComparison.Ordinal))).ToArray();
        output.WriteLine($"Slack posts per alert: {string.Join(' ', perAlert)} (duplicates: {perAlert.Sum(n => Math.Max(0, n - 1))})");
        Assert.All(perAlert, n => Assert.InRange(n, 1, 2));
    }

    [Fact]
    public async Task A_slack_delivery_pending_when_the_whole_cluster_stops_is_posted_after_restart_without_new_traffic()
    {
        await fixture.EnsureSilosAsync();
        var workload = Flows.UniqueWorkload("outbox-restart");
        var grainKey = AlertIds.GrainKey($"{workload}|{DetectionTypes.PortSweep}|tcp/22|{Scopes.Public}");
        fixture.Slack.Refusing = true;
        try
        {
            using (var response = await fixture.PostFlowsAsync(fixture.Silos[0], ScaleOutFixture.SweepNdjson(workload, 30, 22)))
            {
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }

            // Slack is down: the notifier tried (and was refused), so the delivery is pending in the alert's outbox.
            var refused = await Eventually.Until(
                () => Task.FromResult(fixture.Slack.Attempts.Any(a => a.Status == 503 && a.Body.Contains(grainKey, StringComparison.Ordinal))),
                tried => tried);
            Assert.True(refused, "the notifier never tried to post the alert");
            // The whole cluster stops (SIGTERM, one silo after another, as an upgrade or a host reboot does).
            foreach (var silo in fixture.Silos) await silo.StopAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            fixture.Slack.Refusing = false;
        }

        var restarted = Stopwatch.StartNew();
        await fixture.EnsureSilosAsync();
        var posted = await Eventually.Until(
            () => Task.FromResult(fixture.Slack.Delivered.Any(b => b.Contains(grainKey, StringComparison.Ordinal))),
            done => done);
        output.WriteLine($"posted {restarted.Elapsed.TotalSeconds:0.0} s after the restart began");
        Assert.True(posted, "the pending Slack delivery was not resumed after the cluster restarted");
    }

    private static string[] Guids(string rss, string[] grainKeys)
    {
        using var reader = XmlReader.Create(new StringReader(rss));
        var feed = SyndicationFeed.Load(reader);
        return [.. feed.Items.Select(i => i.Id).Where(id => grainKeys.Any(k => id.StartsWith(k + "-", StringComparison.Ordinal)))];
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using OrleansDetect.Client.Gateway;
using OrleansDetect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansDetect.Tests.Failover;

/// <summary>
/// What a kill -9 and a Redis that lost its data cost, with real silo processes and a real <c>redis-server</c>:
/// windows holding failed attempts resume on the survivor, counters lose at most a checkpoint interval, and a cluster
/// whose Redis restarted empty still survives the loss of a silo.
/// </summary>
[Collection(DurabilityCollection.Name)]
public sealed class DurabilityTests(DurabilityFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan DeathTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_sweep_half_before_and_half_after_kill_9_of_its_silo_is_detected_with_every_target()
    {
        await fixture.EnsureSilosAsync();
        var entry = fixture.Silos[0];
        var sweeper = Flows.UniqueWorkload("straddle");
        var quiet = Flows.UniqueWorkload("straddle-quiet");
        using (var response = await fixture.PostFlowsAsync(entry, ScaleOutFixture.SweepNdjson(sweeper, 15, 22)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        using (var response = await fixture.PostFlowsAsync(entry, EstablishedNdjson(quiet, 15)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        // The sweeper's windows hold 15 failed attempts: checkpointed within the interval. The quiet workload's hold
        // none, so it writes no checkpoint at all.
        Assert.NotEmpty(await Eventually.Until(() => CheckpointKeys(sweeper), keys => keys.Length > 0));
        var client = await fixture.ClusterClient();
        var victim = await fixture.HostOf(client.GetGrain<IWorkloadGrain>(sweeper));
        Assert.NotNull(victim);
        Assert.Empty(await CheckpointKeys(quiet));

        await victim.KillAsync();
        await fixture.WaitDeclaredDeadAsync(victim, DeathTimeout);
        var survivor = fixture.Silos.First(s => !s.HasExited);
        using (var response = await fixture.PostFlowsAsync(survivor, ScaleOutFixture.SweepNdjson(sweeper, 15, 22, firstTarget: 15)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var alert = Assert.Single(await Eventually.ListedAlerts(fixture.Http, sweeper, baseAddress: survivor.BaseAddress));
        Assert.Equal("port-sweep", alert.GetProperty("type").GetString());
        Assert.Equal(30, alert.GetProperty("distinctTargets").GetInt32());
        var view = await WorkloadView(survivor, sweeper);
        Assert.Equal(30, view["eventsSeen"]!.GetValue<long>());
    }

    [Fact]
    public async Task Events_counted_across_a_kill_miss_at_most_the_checkpoint_interval_before_it()
    {
        await fixture.EnsureSilosAsync();
        var workloads = Enumerable.Range(0, 9).Select(i => Flows.UniqueWorkload($"count-kill{i}")).ToArray();
        const int eventsPerWorkload = 5;
        using var gateway = new HttpGateway(new GatewaySettings(fixture.Silos.Select(s => s.BaseAddress).ToArray(), null, MaxAttempts: 12));
        var batches = new ConcurrentQueue<(long StartedTicks, long AnsweredTicks, IngestOutcome Outcome)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var sender = Task.Run(async () =>
        {
            for (var n = 0; n < 10_000 && !stop.IsCancellationRequested; n++)
            {
                var body = Encoding.UTF8.GetBytes(FailedBatch(workloads, eventsPerWorkload));
                var started = clock.ElapsedTicks;
                var outcome = await gateway.PostFlowsAsync(body, CancellationToken.None);
                batches.Enqueue((started, clock.ElapsedTicks, outcome));
                await Task.Delay(20);
            }
        });

        // Several checkpoint intervals of traffic before the kill, so the loss is the checkpoint's and not a start-up's.
        while (clock.Elapsed < DurabilityFixture.CheckpointInterval * 4) await Task.Delay(50);
        var client = await fixture.ClusterClient();
        var placement = new Dictionary<string, int>();
        foreach (var workload in workloads) placement[workload] = (await fixture.HostOf(client.GetGrain<IWorkloadGrain>(workload)))?.SiloPort ?? 0;
        var victim = fixture.Silos.Where(s => placement.ContainsValue(s.SiloPort)).MaxBy(s => placement.Values.Count(p => p == s.SiloPort));
        Assert.True(victim is not null, $"no silo hosts any of the workloads: {string.Join(", ", placement)}");
        var moved = placement.Where(p => p.Value == victim.SiloPort).Select(p => p.Key).ToArray();
        var killedAt = clock.ElapsedTicks;
        await victim.KillAsync();
        await fixture.WaitDeclaredDeadAsync(victim, DeathTimeout);
        var deadAt = clock.ElapsedTicks;
        var waitAfterDeath = Stopwatch.StartNew();
        while (batches.Count(b => b.StartedTicks > deadAt) < 5 && waitAfterDeath.Elapsed < TimeSpan.FromSeconds(90)) await Task.Delay(100);
        await stop.CancelAsync();
        await sender.WaitAsync(TimeSpan.FromMinutes(3));

        var all = batches.ToArray();
        Assert.All(all, b => Assert.True(b.Outcome.Succeeded, b.Outcome.Failure));
        // The README's bound: what a kill loses is what arrived in the last checkpoint interval before it (one more
        // interval allowed for a timer tick late on this shared box). Everything answered before that is counted.
        var bound = (long)((DurabilityFixture.CheckpointInterval * 2).TotalSeconds * Stopwatch.Frequency);
        var mustCount = all.Count(b => b.AnsweredTicks < killedAt - bound) + all.Count(b => b.StartedTicks > deadAt);
        var survivor = fixture.Silos.First(s => !s.HasExited);
        var seen = new Dictionary<string, long>();
        foreach (var workload in moved) seen[workload] = (await WorkloadView(survivor, workload))["eventsSeen"]!.GetValue<long>();
        var acknowledged = (long)moved.Length * all.Length * eventsPerWorkload;
        var counted = seen.Values.Sum();
        output.WriteLine($"{moved.Length} of {workloads.Length} workloads moved; their events acknowledged {acknowledged}, counted {counted} " +
                         $"({(counted - acknowledged) * 100.0 / Math.Max(1, acknowledged):+0.00;-0.00} %)");
        foreach (var (workload, count) in seen)
        {
            Assert.True(count >= mustCount * eventsPerWorkload,
                $"{workload}: counted {count} of {all.Length * eventsPerWorkload} acknowledged; everything but the last {bound / (double)Stopwatch.Frequency:0.0} s before the kill ({mustCount * eventsPerWorkload}) must be");
        }
    }

    [Fact]
    public async Task After_Redis_restarts_empty_a_stopping_silo_exits_and_a_killed_one_is_replaced_within_30_s()
    {
        await fixture.EnsureSilosAsync();
        var earlier = Flows.UniqueWorkload("before-wipe");
        using (var response = await fixture.PostFlowsAsync(fixture.Silos[0], ScaleOutFixture.SweepNdjson(earlier, 10, 22)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        Assert.NotEmpty(await Eventually.Until(() => CheckpointKeys(earlier), keys => keys.Length > 0));
        // The silo hosting that workload survives; the other two are stopped and killed.
        var client = await fixture.ClusterClient();
        var survivor = await fixture.HostOf(client.GetGrain<IWorkloadGrain>(earlier));
        Assert.NotNull(survivor);
        var others = fixture.Silos.Where(s => s != survivor).ToArray();

        await fixture.Redis.RestartEmptyAsync();
        foreach (var silo in fixture.Silos)
        {
            Assert.Equal(HttpStatusCode.OK, await Eventually.Until(() => fixture.ReadyStatusAsync(silo), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(30)));
        }

        // A silo told to stop leaves within its grace, though the table it writes its status to was lost.
        var stopping = Stopwatch.StartNew();
        await others[0].StopAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"SIGTERM → exit {stopping.Elapsed.TotalSeconds:0.0} s");

        await others[1].KillAsync();
        var sinceKill = Stopwatch.StartNew();
        HttpStatusCode? status = null;
        for (var attempt = 0; attempt < 300 && sinceKill.Elapsed < TimeSpan.FromSeconds(30); attempt++)
        {
            // Fresh workloads each time, so the batch needs new activations wherever placement puts them.
            var body = string.Concat(Enumerable.Range(0, 12).Select(i => EstablishedNdjson(Flows.UniqueWorkload($"after-wipe{i}"), 1)));
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30) - sinceKill.Elapsed);
            try
            {
                using var response = await fixture.Http.PostAsync(new Uri(survivor.BaseAddress, "api/v1/flows"),
                    new StringContent(body, Encoding.UTF8, "application/x-ndjson"), cancel.Token);
                status = response.StatusCode;
                if (status == HttpStatusCode.Accepted) break;
            }
            catch (TaskCanceledException)
            {
                break;
            }

            await Task.Delay(200);
        }

        output.WriteLine($"kill -9 → first 202 {sinceKill.Elapsed.TotalSeconds:0.0} s");
        Assert.True(status == HttpStatusCode.Accepted, $"ingest answered {status?.ToString() ?? "nothing"} for 30 s after the kill:\n{survivor.RecentLog}");
        Assert.Equal(HttpStatusCode.OK, await fixture.ReadyStatusAsync(survivor));
        Assert.Contains(fixture.Silos.Concat(others).SelectMany(s => s.Log), line => line.Contains("put back this silo's copy", StringComparison.Ordinal));

        // The workload active through the wipe writes its checkpoint again (its etag named a record Redis lost).
        using (var response = await fixture.PostFlowsAsync(survivor, ScaleOutFixture.SweepNdjson(earlier, 5, 22, firstTarget: 10)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        Assert.NotEmpty(await Eventually.Until(() => CheckpointKeys(earlier), keys => keys.Length > 0));
    }

    /// <summary>Redis keys of a workload's windows checkpoint (Orleans' Redis grain storage: <c>…/state/{grain id}/windows</c>).</summary>
    private async Task<string[]> CheckpointKeys(string workload)
    {
        var reply = await fixture.Redis.CommandAsync("KEYS", $"*host/{workload}/windows*");
        return [.. reply.Split("\r\n").Where(line => line.Contains(workload, StringComparison.Ordinal))];
    }

    private static string EstablishedNdjson(string workload, int count)
    {
        var sb = new StringBuilder();
        var ts = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++) sb.Append(Flows.NdjsonLine(workload, ts, "10.0.0.5", $"10.9.0.{i + 1}", 443, state: "established")).Append('\n');
        return sb.ToString();
    }

    /// <summary>Failed attempts to the same few internal hosts, far below any threshold: windows to checkpoint, no alert.</summary>
    private static string FailedBatch(string[] workloads, int perWorkload)
    {
        var sb = new StringBuilder();
        var ts = DateTimeOffset.UtcNow;
        foreach (var workload in workloads)
        {
            for (var i = 0; i < perWorkload; i++) sb.Append(Flows.NdjsonLine(workload, ts, "10.0.0.5", $"10.9.0.{i + 1}", 8080)).Append('\n');
        }

        return sb.ToString();
    }

    private async Task<JsonObject> WorkloadView(SiloProcess silo, string workload) =>
        (await fixture.Http.GetFromJsonAsync<JsonObject>(new Uri(silo.BaseAddress, $"api/v1/hosts/{workload}")))!;
}

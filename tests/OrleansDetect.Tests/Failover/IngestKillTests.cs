using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansDetect.Client.Gateway;
using OrleansDetect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansDetect.Tests.Failover;

/// <summary>
/// kill -9 of one of three silos under steady load through the client's HTTP gateway: the survivors keep acknowledging
/// events every second, and what was acknowledged is what the workloads counted.
/// </summary>
[Collection(ScaleOutCollection.Name)]
public sealed class IngestKillTests(ScaleOutFixture fixture, ITestOutputHelper output)
{
    private const int Senders = 6;
    private const int EventsPerWorkload = 2;

    [Fact]
    public async Task Under_a_kill_9_the_survivors_ack_events_every_second_and_acknowledged_events_are_counted_once()
    {
        await fixture.EnsureSilosAsync();
        var workloads = Enumerable.Range(0, 30).Select(i => Flows.UniqueWorkload($"kill-load{i}")).ToArray();
        var clock = Stopwatch.StartNew();
        var wire = new AckRecorder(clock);
        using var gateway = new HttpGateway(
            new GatewaySettings(fixture.Silos.Select(s => s.BaseAddress).ToArray(), null, MaxAttempts: 20),
            new AckRecorder.Handler(wire) { InnerHandler = new SocketsHttpHandler() });
        var acks = new ConcurrentQueue<(TimeSpan At, int Events)>();
        using var stop = new CancellationTokenSource();

        // Each sender moves on once its batch's processed part is acknowledged, as `client load` does; a remainder
        // being resent keeps going in the background.
        var senders = Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
        {
            var resending = new List<Task>();
            for (var n = 0; n < 100_000 && !stop.IsCancellationRequested; n++)
            {
                var body = Encoding.UTF8.GetBytes(Batch(workloads, s * 100_000 + n));
                var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var post = gateway.PostFlowsAsync(body, events =>
                {
                    acks.Enqueue((clock.Elapsed, events));
                    first.TrySetResult();
                }, CancellationToken.None);
                await Task.WhenAny(post, first.Task);
                resending.Add(post);
                resending.RemoveAll(t => t.IsCompleted);
                await Task.Delay(10);
            }

            await Task.WhenAll(resending);
        })).ToArray();

        while (acks.IsEmpty && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
        var client = await fixture.ClusterClient();
        var placement = new Dictionary<string, int>();
        foreach (var workload in workloads) placement[workload] = (await HostOf(client, workload))?.SiloPort ?? 0;
        var victim = fixture.Silos.MaxBy(s => placement.Values.Count(p => p == s.SiloPort))!;
        var moved = placement.Where(p => p.Value == victim.SiloPort).Select(p => p.Key).ToHashSet();
        // Steady load first: every sender has had batches acknowledged.
        await Eventually.Until(() => Task.FromResult(acks.Count), count => count >= 10 * Senders, TimeSpan.FromSeconds(30));

        var killedAt = clock.Elapsed;
        await victim.KillAsync();
        await fixture.WaitDeclaredDeadAsync(victim, TimeSpan.FromSeconds(60));
        var deadAt = clock.Elapsed;
        // Keep sending until the moved workloads are acknowledged again and a few seconds beyond (bounded).
        await Eventually.Until(() => Task.FromResult(wire.FirstAckAfter(moved, killedAt)), first => first is { } t && clock.Elapsed > t + TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(60));
        var end = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(senders).WaitAsync(TimeSpan.FromMinutes(2));

        // Acknowledged events per second, from the kill to the end: never a second without any.
        var perSecond = new int[(int)Math.Floor((end - killedAt).TotalSeconds)];
        foreach (var (at, events) in acks)
        {
            var second = (int)Math.Floor((at - killedAt).TotalSeconds);
            if (second >= 0 && second < perSecond.Length) perSecond[second] += events;
        }

        var movedBack = wire.FirstAckAfter(moved, deadAt);
        output.WriteLine($"{moved.Count} of {workloads.Length} workloads on the killed silo; declared dead {(deadAt - killedAt).TotalSeconds:0.0} s after the kill; " +
                         $"first ack of a moved workload {((movedBack ?? end) - killedAt).TotalSeconds:0.0} s after it");
        output.WriteLine($"acknowledged per second after the kill: {string.Join(" ", perSecond)}; longest gap without an ack: {LongestGap(acks, killedAt, end).TotalSeconds:0.00} s");
        Assert.NotNull(movedBack);
        Assert.DoesNotContain(0, perSecond);
        // Moved workloads take events again soon after the death: the directory lease (1 s) plus the client's resend backoff.
        Assert.True(movedBack - deadAt < TimeSpan.FromSeconds(4), $"moved workloads acknowledged again {(movedBack - deadAt)!.Value.TotalSeconds:0.0} s after the death");

        // What the wire acknowledged, per workload, against what each workload counted.
        var survivor = fixture.Silos.First(s => !s.HasExited);
        long acknowledged = 0, counted = 0;
        foreach (var workload in workloads)
        {
            var seen = await EventsSeen(survivor, workload);
            var acked = wire.Acknowledged(workload);
            acknowledged += acked;
            counted += seen;
            if (moved.Contains(workload))
            {
                // Its windows and counters died with its silo: it counts at most what was acknowledged (never twice),
                // and at least everything acknowledged after the kill.
                Assert.InRange(seen, wire.AcknowledgedAfter(workload, deadAt), acked);
            }
            else
            {
                // On a survivor: exactly what was acknowledged; a batch resent after its gateway died is not counted twice.
                Assert.Equal(acked, seen);
            }
        }

        output.WriteLine($"acknowledged {acknowledged} events, counted {counted} ({(counted - acknowledged) * 100.0 / acknowledged:+0.00;-0.00} %), {wire.PartialAnswers} partial answers");
    }

    /// <summary>
    /// Where a workload lives. A cluster client whose gateways were replaced (earlier tests killed silos) may still try a
    /// dead gateway, or know no grain types until it has read a new silo's manifest; it is asked again, bounded.
    /// </summary>
    private async Task<SiloProcess?> HostOf(IClusterClient client, string workload)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await fixture.HostOf(client.GetGrain<IWorkloadGrain>(workload));
            }
            catch (Exception e) when (attempt < 50 && e is ArgumentException or OrleansException or TimeoutException)
            {
                await Task.Delay(200);
            }
        }
    }

    private static TimeSpan LongestGap(IEnumerable<(TimeSpan At, int Events)> acks, TimeSpan from, TimeSpan to)
    {
        var times = acks.Select(a => a.At).Where(t => t > from && t < to).Order().Prepend(from).Append(to).ToArray();
        return times.Zip(times.Skip(1), (a, b) => b - a).Max();
    }

    private static string Batch(string[] workloads, int n)
    {
        var sb = new StringBuilder();
        var ts = DateTimeOffset.UtcNow;
        foreach (var workload in workloads)
        {
            for (var i = 0; i < EventsPerWorkload; i++)
            {
                sb.Append(Flows.NdjsonLine(workload, ts, "10.0.0.5", $"10.9.{n % 250}.{i + 1}", 443, state: "established")).Append('\n');
            }
        }

        return sb.ToString();
    }

    private async Task<long> EventsSeen(SiloProcess silo, string workload)
    {
        using var response = await fixture.Http.GetAsync(new Uri(silo.BaseAddress, $"api/v1/hosts/{workload}"));
        // A workload whose only activation died with its silo and that got nothing since is unknown.
        if (response.StatusCode == HttpStatusCode.NotFound) return 0;
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("eventsSeen").GetInt64();
    }

    /// <summary>
    /// What the gateways acknowledged, read off the wire: per workload, the events of every 202 and of the processed
    /// part of every partial 503, with the time of the answer.
    /// </summary>
    private sealed class AckRecorder(Stopwatch clock)
    {
        private readonly ConcurrentQueue<(string Workload, int Events, TimeSpan At)> _acks = new();
        private int _partial;

        public int PartialAnswers => _partial;

        public long Acknowledged(string workload) => _acks.Where(a => a.Workload == workload).Sum(a => (long)a.Events);

        public long AcknowledgedAfter(string workload, TimeSpan after) => _acks.Where(a => a.Workload == workload && a.At > after).Sum(a => (long)a.Events);

        public TimeSpan? FirstAckAfter(IReadOnlySet<string> workloads, TimeSpan after)
        {
            var times = _acks.Where(a => workloads.Contains(a.Workload) && a.At > after).Select(a => a.At).ToArray();
            return times.Length > 0 ? times.Min() : null;
        }

        private void Record(string body, HttpStatusCode status, string answer)
        {
            var events = body.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .GroupBy(line => JsonDocument.Parse(line).RootElement.GetProperty("host").GetString()!)
                .ToDictionary(g => g.Key, g => g.Count());
            if (status == HttpStatusCode.ServiceUnavailable)
            {
                using var problem = JsonDocument.Parse(answer);
                if (!problem.RootElement.TryGetProperty("failed", out var failed)) return;
                Interlocked.Increment(ref _partial);
                foreach (var f in failed.EnumerateArray()) events.Remove(f.GetProperty("workload").GetString()!);
            }
            else if (status != HttpStatusCode.Accepted)
            {
                return;
            }

            var at = clock.Elapsed;
            foreach (var (workload, count) in events) _acks.Enqueue((workload, count, at));
        }

        public sealed class Handler(AckRecorder recorder) : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
                var response = await base.SendAsync(request, cancellationToken);
                if (request.Method == HttpMethod.Post && request.Content is not null)
                {
                    await response.Content.LoadIntoBufferAsync(cancellationToken);
                    recorder.Record(body, response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
                }

                return response;
            }
        }
    }
}

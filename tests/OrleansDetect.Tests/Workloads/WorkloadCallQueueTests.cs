using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Workloads;

/// <summary>
/// The silo's workload call queue: requests that reach the same workloads at once share its calls, and every event is
/// still counted once, answered to its own request.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkloadCallQueueTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task Concurrent_requests_over_the_same_workloads_are_each_answered_with_their_own_counts()
    {
        const int requests = 16, workloads = 150, perRequest = 3;
        var names = Enumerable.Range(0, workloads).Select(i => Flows.UniqueWorkload($"q{i}")).ToArray();
        var router = Grains.GetGrain<IIngestRouterGrain>(0);
        var answers = await Task.WhenAll(Enumerable.Range(0, requests).Select(_ => router.Ingest(
            [.. names.Select((name, w) => new WorkloadFlows(name, [.. Enumerable.Range(0, perRequest + (w % 2))
                .Select(e => Flows.Established(Flows.T0.AddSeconds(e), "10.0.0.9", "10.0.2.10", 5432))]))],
            new IngestBatchKey((ulong)Random.Shared.NextInt64(1, long.MaxValue)))));

        var expected = names.Select((_, w) => perRequest + (w % 2)).Sum();
        Assert.All(answers, a =>
        {
            Assert.False(a.AnyFailed);
            Assert.Equal(expected, a.Accepted);
        });

        foreach (var (name, w) in names.Select((n, w) => (n, w)))
        {
            var view = await Grains.GetGrain<IWorkloadGrain>(name).GetView();
            Assert.Equal(requests * (perRequest + (w % 2)), view.EventsSeen);
        }
    }

    [Fact]
    public async Task Active_workloads_reached_by_concurrent_requests_and_resends_count_each_batch_once()
    {
        // Active first, so the requests are fed in process (where passes take the requests that queued together), and
        // every other request is a resend racing its original: each is answered with the original's counts.
        const int batches = 12, workloads = 200;
        var names = Enumerable.Range(0, workloads).Select(i => Flows.UniqueWorkload($"pass{i}")).ToArray();
        var router = Grains.GetGrain<IIngestRouterGrain>(0);
        WorkloadFlows[] Batch(int events) =>
            [.. names.Select(name => new WorkloadFlows(name, [.. Enumerable.Range(0, events).Select(e => Flows.Established(Flows.T0.AddSeconds(e), "10.0.0.9", "10.0.2.10", 5432))]))];
        Assert.False((await router.Ingest(Batch(1), new IngestBatchKey(7_000))).AnyFailed);

        var keys = Enumerable.Range(1, batches).Select(b => new IngestBatchKey(7_000 + (ulong)b)).ToArray();
        var answers = await Task.WhenAll(keys.Concat(keys).Select((key, i) => router.Ingest(Batch(1 + (i % batches % 3)), key)));

        Assert.All(answers, a => Assert.False(a.AnyFailed));
        for (var b = 0; b < batches; b++)
        {
            Assert.Equal(workloads * (1 + (b % 3)), answers[b].Accepted);
            Assert.Equal(answers[b].Accepted, answers[batches + b].Accepted);
        }

        var perWorkload = 1 + Enumerable.Range(0, batches).Sum(b => 1 + (b % 3));
        foreach (var name in names)
        {
            Assert.Equal(perWorkload, (await Grains.GetGrain<IWorkloadGrain>(name).GetView()).EventsSeen);
        }
    }

    [Fact]
    public async Task A_call_carrying_a_resend_behind_its_original_observes_the_events_once()
    {
        var workload = Grains.GetGrain<IWorkloadGrain>(Flows.UniqueWorkload("resend"));
        var events = Flows.InternalSweep(Flows.T0, 10, 445);
        var key = new IngestBatchKey(42);
        var other = new IngestBatchKey(43);

        var answers = await workload.Ingest([new IngestSegment(events, key), new IngestSegment(events, key), new IngestSegment(events, other)]);

        Assert.Equal([10, 10, 10], answers.Select(a => a.Accepted));
        Assert.Equal(20, (await workload.GetView()).EventsSeen);

        // A later resend of either key is answered from memory too.
        Assert.Equal(10, (await workload.Ingest(events, other)).Accepted);
        Assert.Equal(20, (await workload.GetView()).EventsSeen);
    }
}

using OrleansDetect.Grains.Workloads;

namespace OrleansDetect.Tests.Workloads;

public sealed class RecentBatchesTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_remembered_key_gives_its_first_answer_until_the_window_passes()
    {
        var recent = new RecentBatches(Window, maxKeys: 16);
        var key = IngestBatchKey.From("batch-1");
        recent.Remember(key, nowMs: 1_000, new WorkloadIngestResult(7, 1, 2));

        Assert.True(recent.TryGet(key, 1_000 + 60_000, out var answer));
        Assert.Equal(new WorkloadIngestResult(7, 1, 2), answer);
        Assert.False(recent.TryGet(IngestBatchKey.From("batch-2"), 2_000, out _));
        Assert.False(recent.TryGet(key, 1_000 + 60_001, out _));
    }

    [Fact]
    public void Keys_arriving_faster_than_they_expire_grow_the_table_up_to_its_cap_then_the_oldest_go()
    {
        var recent = new RecentBatches(Window, maxKeys: 8);
        for (var i = 0; i < 20; i++) recent.Remember(IngestBatchKey.From($"k{i}"), nowMs: i, new WorkloadIngestResult(i, 0, 0));

        // At its cap the oldest quarter goes at once: the newest 6 are always there, never more than 8, never an old one.
        Assert.Equal(8, recent.Capacity);
        Assert.All(Enumerable.Range(14, 6), i => Assert.True(recent.TryGet(IngestBatchKey.From($"k{i}"), 20, out var r) && r.Accepted == i));
        Assert.All(Enumerable.Range(0, 12), i => Assert.False(recent.TryGet(IngestBatchKey.From($"k{i}"), 20, out _)));
    }

    [Fact]
    public void A_slow_workload_keeps_a_small_table()
    {
        var recent = new RecentBatches(TimeSpan.FromSeconds(1), maxKeys: 1024);
        // One batch every 10 s: each key has expired before the next arrives, so the table never needs to grow.
        for (var i = 0; i < 100; i++) recent.Remember(IngestBatchKey.From($"k{i}"), nowMs: i * 10_000L, default);

        Assert.Equal(RecentBatches.InitialSlots / 4 * 3, recent.Capacity);
    }

    [Fact]
    public void Every_lookup_answers_the_latest_answer_of_a_key_remembered_within_the_window()
    {
        // Keys repeat (resends within the window, and again after it), the table grows and shrinks, expired slots are
        // reused and dropped by rebuilds: each lookup must match a plain record of what was remembered.
        var window = TimeSpan.FromSeconds(1);
        var recent = new RecentBatches(window, maxKeys: 100_000);
        var latest = new Dictionary<IngestBatchKey, (long AtMs, WorkloadIngestResult Result)>();
        var random = new Random(13);
        var keys = Enumerable.Range(0, 300).Select(i => IngestBatchKey.From($"batch-{i}")).ToArray();
        var nowMs = 0L;
        for (var op = 0; op < 20_000; op++)
        {
            nowMs += random.Next(0, 12);
            var key = keys[random.Next(keys.Length)];
            var expected = latest.TryGetValue(key, out var seen) && nowMs - seen.AtMs <= (long)window.TotalMilliseconds;
            Assert.Equal(expected, recent.TryGet(key, nowMs, out var answer));
            if (expected) Assert.Equal(seen.Result, answer);
            if (!expected)
            {
                var result = new WorkloadIngestResult(op, random.Next(3), 0);
                recent.Remember(key, nowMs, result);
                latest[key] = (nowMs, result);
            }
        }

        // ~170 keys arrive per window: the table grew to hold them, not to hold every key ever seen.
        Assert.InRange(recent.Capacity, 128, 512);
    }

    [Fact]
    public void Keys_are_never_the_empty_key()
    {
        Assert.False(IngestBatchKey.From("x").IsNone);
        Assert.Equal(IngestBatchKey.From("same"), IngestBatchKey.From("same"));
        Assert.NotEqual(IngestBatchKey.From("a"), IngestBatchKey.From("b"));
    }
}

using System.Buffers;
using System.Text;
using System.Text.Json;
using OrleansDetect.Client;
using OrleansDetect.Client.Load;

namespace OrleansDetect.Tests.Client;

/// <summary>
/// Who sends <c>load</c>'s lines: <c>--skew</c> (Zipf shares, a few heavy talkers and a long tail), <c>--rotate</c>
/// (workloads replaced by fresh ones over time) and <c>--workload-offset</c>; and the options' errors.
/// </summary>
public sealed class LoadWorkloadsTests
{
    private static readonly long StartMs = new DateTimeOffset(2026, 11, 28, 4, 47, 57, 123, TimeSpan.Zero).ToUnixTimeMilliseconds();

    [Fact]
    public void With_skew_one_the_busiest_workload_sends_its_zipf_share_and_every_workload_sends()
    {
        var flows = new SyntheticFlows(workloads: 100, skew: 1);
        var hosts = Hosts(flows, lines: 100_000, seed: 7);
        var counts = hosts.CountBy(h => h).ToDictionary();

        // 1 / (1 + 1/2 + … + 1/100) = 19.3 %; rank 2 half of that, rank 100 a hundredth.
        Assert.InRange(counts["load-w0"] / 100_000.0, 0.185, 0.201);
        Assert.InRange(counts["load-w1"] / (double)counts["load-w0"], 0.45, 0.55);
        Assert.InRange(counts["load-w99"], 100, 300);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => flows.Name(i)).Order(), counts.Keys.Order());
        Assert.Equal(hosts, Hosts(new SyntheticFlows(workloads: 100, skew: 1), lines: 100_000, seed: 7));
    }

    [Fact]
    public void Without_skew_every_workload_sends_about_as_much()
    {
        var counts = Hosts(new SyntheticFlows(workloads: 100), lines: 100_000, seed: 7).CountBy(h => h).ToList();

        Assert.Equal(100, counts.Count);
        Assert.All(counts, c => Assert.InRange(c.Value, 800, 1_200));
    }

    [Theory]
    [InlineData(1_000, 1.0)]
    [InlineData(1_000, 0.6)]
    [InlineData(50, 2.5)]
    public void The_sampler_reaches_every_rank_with_its_zipf_share(int count, double exponent)
    {
        var zipf = new ZipfDistribution(count, exponent);
        var random = new LoadRandom(42);
        var hits = new int[count];
        const int draws = 2_000_000;
        for (var i = 0; i < draws; i++) hits[zipf.Sample(ref random)]++;

        Assert.All(hits, h => Assert.True(h > 0));
        var harmonic = Enumerable.Range(1, count).Sum(k => Math.Pow(k, -exponent));
        Assert.Equal(1 / harmonic, zipf.TopShare(), 1e-12);
        foreach (var rank in new[] { 0, 1, 9, count - 1 })
        {
            var expected = draws * Math.Pow(rank + 1, -exponent) / harmonic;
            Assert.InRange(hits[rank], expected - 5 * Math.Sqrt(expected) - 5, expected + 5 * Math.Sqrt(expected) + 5);
        }
    }

    [Fact]
    public void A_million_workloads_cost_the_generator_no_memory_per_workload()
    {
        _ = new SyntheticFlows(workloads: 10, skew: 1.1);
        var few = Allocated(() => new SyntheticFlows(workloads: 10, skew: 1.1));
        SyntheticFlows flows = null!;
        var many = Allocated(() => flows = new SyntheticFlows(workloads: 1_000_000, skew: 1.1));

        Assert.InRange(many - few, -1_024, 1_024);
        var hosts = Hosts(flows, lines: 20_000, seed: 3);
        Assert.Contains("load-w0", hosts);
        Assert.Contains(hosts, h => long.Parse(h["load-w".Length..]) >= 100_000);
    }

    [Fact]
    public void Rotation_replaces_the_oldest_workloads_by_fresh_ones_and_a_replaced_one_never_sends_again()
    {
        var flows = new SyntheticFlows(workloads: 10, skew: 0.8, firstIndex: 500);
        var seen = new HashSet<long>();
        for (var rotated = 0L; rotated <= 40; rotated++)
        {
            var sending = Hosts(flows, lines: 2_000, seed: (ulong)rotated + 1, rotated).Select(h => long.Parse(h["load-w".Length..])).ToHashSet();

            // After R replacements the workloads sending are exactly 500 + R … 500 + R + 9.
            Assert.Equal(Enumerable.Range(500 + (int)rotated, 10).Select(i => (long)i), sending.Order());
            Assert.Equal(flows.Presented(rotated), 10 + rotated);
            seen.UnionWith(sending);
        }

        Assert.Equal(Enumerable.Range(500, 50).Select(i => (long)i), seen.Order());
        // The busiest slot keeps its share as its workload changes: slot 0 holds 500, then 510, 520, …
        Assert.Equal([500L, 510L, 520L], new long[] { flows.WorkloadIndex(0, 0), flows.WorkloadIndex(0, 1), flows.WorkloadIndex(0, 11) });
    }

    [Fact]
    public async Task A_rotating_run_sends_more_workloads_than_are_active_at_once_and_says_how_many()
    {
        await using var gateway = new FakeGateway((request, _) => request.Method == "GET" ? new FakeAnswer(200, "[]") : FakeGateway.AcceptAll(request));

        var (_, output, _) = await ClientCli.RunAsync(
            "load", "--gateway", gateway.Url, "--workloads", "5", "--rotate", "20/s", "--skew", "1", "--workload-offset", "1000",
            "--rate", "4000", "--duration", "1.5s", "--batch-size", "200", "--concurrency", "1", "--sweep-interval", "10s");

        var hosts = gateway.FlowPosts.SelectMany(p => p.Lines).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("host").GetString()!)
            .Where(h => h.StartsWith("load-w", StringComparison.Ordinal)).Select(h => long.Parse(h["load-w".Length..])).ToHashSet();
        Assert.True(hosts.Count > 10, $"{hosts.Count} workloads sent");
        Assert.All(hosts, h => Assert.InRange(h, 1000, 1000 + 5 + 30));
        Assert.Contains("load-w1000…, skew 1 (busiest 43.8% of events), 20 replaced per second", output);
        Assert.Contains("distinct workloads", output);
    }

    [Theory]
    [InlineData("--workloads", "0", "--workloads must be 1-1,000,000")]
    [InlineData("--workloads", "1000001", "--workloads must be 1-1,000,000")]
    [InlineData("--skew", "-0.5", "--skew: '-0.5' is not a number from 0 to 10")]
    [InlineData("--skew", "11", "--skew: '11' is not a number from 0 to 10")]
    [InlineData("--skew", "heavy", "--skew: 'heavy' is not a number from 0 to 10")]
    [InlineData("--rotate", "-3", "--rotate: '-3' is not a rate of 0-1,000,000 workloads a second (try 500 or 500/s)")]
    [InlineData("--rotate", "5/m", "--rotate: '5/m' is not a rate of 0-1,000,000 workloads a second (try 500 or 500/s)")]
    [InlineData("--rotate", "2000000", "--rotate: '2000000' is not a rate of 0-1,000,000 workloads a second (try 500 or 500/s)")]
    [InlineData("--workload-offset", "-1", "--workload-offset must be 0-1,000,000,000,000")]
    public void Bad_load_options_are_reported_by_name(string option, string value, string message)
    {
        var result = ClientCommandLine.Create(TextWriter.Null, TextWriter.Null).Parse(["load", option, value]);

        Assert.Equal(message, Assert.Single(result.Errors).Message);
    }

    [Theory]
    [InlineData("500", 500)]
    [InlineData("500/s", 500)]
    [InlineData("0", 0)]
    public void A_rotation_is_a_count_a_second(string value, int expected)
    {
        var result = ClientCommandLine.Create(TextWriter.Null, TextWriter.Null).Parse(["load", "--rotate", value]);

        Assert.Empty(result.Errors);
        Assert.Equal(expected, result.GetValue<int>("--rotate"));
    }

    private static long Allocated(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static List<string> Hosts(SyntheticFlows flows, int lines, ulong seed, long rotated = 0)
    {
        var body = new ArrayBufferWriter<byte>();
        flows.CreateWriter(seed).Write(body, lines, StartMs, 1_000, rotated);
        return [.. Encoding.UTF8.GetString(body.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("host").GetString()!)];
    }
}

using OrleansDetect.Tests.Client;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Client;

/// <summary>The client's demo against a real silo with default settings: exactly its three alerts, DoT included, every run.</summary>
[Collection(SiloCollection.Name)]
public sealed class DemoAgainstSiloTests(SiloFixture silo)
{
    [Fact]
    public async Task The_demo_raises_its_two_sweeps_and_the_unusual_dot_and_nothing_else()
    {
        var prefix = Flows.UniqueWorkload("demo") + "-";

        var (exitCode, output, error) = await ClientCli.RunAsync("demo", "--gateway", silo.BaseAddress.ToString(), "--prefix", prefix, "--seed", "11");

        Assert.True(exitCode == 0, output + error);
        Assert.Contains("expected 3 alerts, got 3", output);
        Assert.Contains($"Unusual DNS-over-TLS: {prefix}batch-1 → 198.51.100.53 (first DNS-over-TLS use by this workload, not a known public resolver)", output);
    }

    [Fact]
    public async Task The_demo_run_twice_against_one_silo_promises_and_finds_its_three_alerts_both_times()
    {
        var prefixes = new List<string>();
        for (var run = 1; run <= 2; run++)
        {
            // The same traffic both times: only the demo's own run prefix keeps the second run from adding to the first.
            var (exitCode, output, error) = await ClientCli.RunAsync("demo", "--gateway", silo.BaseAddress.ToString(), "--seed", "11");

            Assert.True(exitCode == 0, $"run {run}: {output}{error}");
            Assert.Contains("expected 3 alerts, got 3", output);
            prefixes.Add(output.Split("workloads: ")[1].Split("web-1")[0]);
        }

        Assert.NotEqual(prefixes[0], prefixes[1]);
    }
}

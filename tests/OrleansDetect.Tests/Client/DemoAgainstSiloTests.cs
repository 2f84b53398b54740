using OrleansDetect.Client.Demo;
using OrleansDetect.Tests.Client;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Client;

/// <summary>
/// The client's demo against a real silo with default settings: exactly its ten alerts — DoT, the recon chain and the
/// fleet-wide sweep included — every run.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class DemoAgainstSiloTests(SiloFixture silo)
{
    [Fact]
    public async Task The_demo_raises_its_sweeps_the_unusual_dot_the_recon_chain_and_the_fleet_sweep_and_nothing_else()
    {
        var prefix = Flows.UniqueWorkload("demo") + "-";
        var scenario = DemoScenario.Create(DateTimeOffset.UtcNow, prefix, seed: 11);

        var (exitCode, output, error) = await ClientCli.RunAsync("demo", "--gateway", silo.BaseAddress.ToString(), "--prefix", prefix, "--seed", "11");

        Assert.True(exitCode == 0, output + error);
        Assert.Contains("expected 10 alerts, got 10", output);
        Assert.DoesNotContain("missing:", output);
        Assert.DoesNotContain("unexpected:", output);
        Assert.Contains($"Unusual DNS-over-TLS: {prefix}batch-1 → 198.51.100.53 (first DNS-over-TLS use by this workload, not a known public resolver)", output);
        Assert.Contains($"[HIGH] Sweep followed by scan: {prefix}jump-1 swept tcp/3389 (internal), then scanned 1 host that answered it: {scenario.ChainTarget}", output);
        Assert.Contains($"found: high recon-chain tcp/3389 (internal) from {prefix}jump-1", output);
        Assert.Contains($"[MEDIUM] Fleet-wide sweep: 3 workloads probed tcp/{scenario.FleetPort}", output);
        Assert.Contains($"found: medium fleet-sweep tcp/{scenario.FleetPort} by {prefix}worker-1, {prefix}worker-2, {prefix}worker-3", output);
    }

    [Fact]
    public async Task The_demo_run_twice_against_one_silo_promises_and_finds_its_ten_alerts_both_times()
    {
        var prefixes = new List<string>();
        for (var run = 1; run <= 2; run++)
        {
            // The same traffic both times: only the demo's own run prefix keeps the second run from adding to the first.
            var (exitCode, output, error) = await ClientCli.RunAsync("demo", "--gateway", silo.BaseAddress.ToString(), "--seed", "11");

            Assert.True(exitCode == 0, $"run {run}: {output}{error}");
            Assert.Contains("expected 10 alerts, got 10", output);
            // Each run's fleet alert names its own three workers, never the other run's (no adding up).
            Assert.Contains("Fleet-wide sweep: 3 workloads probed", output);
            prefixes.Add(output.Split("workloads: ")[1].Split("web-1")[0]);
        }

        Assert.NotEqual(prefixes[0], prefixes[1]);
    }
}

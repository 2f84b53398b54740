using System.Net;
using OrleansDetect.Client;
using OrleansDetect.Client.Demo;

namespace OrleansDetect.Tests.Client;

/// <summary>
/// The demo promises exactly three alerts: two sweeps and one unusual DNS-over-TLS. These tests recount its events
/// the way the design's detectors count (failed attempts, distinct targets per workload and port, by scope) with the
/// design's thresholds, and check the encrypted-DNS story (history long enough to learn, who talks DoT to whom).
/// </summary>
public sealed class DemoScenarioTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 4, 47, 57, 123, TimeSpan.Zero);
    private static readonly HashSet<int> LateralPorts = [22, 23, 139, 445, 3389, 5985, 5986, 2375, 2376, 2379, 6443, 10250];

    private const int PublicSweepThreshold = 25;
    private const int PublicHighThreshold = 100;
    private const int InternalSweepThreshold = 100;
    private const int LateralSweepThreshold = 25;
    private const int PortScanThreshold = 15;

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(20261128)]
    public void Exactly_the_two_sweeps_reach_a_sweep_threshold(int seed)
    {
        var scenario = DemoScenario.Create(Now, seed: seed);

        var reached = SweepGroups(scenario)
            .Where(g => g.Targets >= SweepThreshold(g.Scope, g.Port))
            .OrderBy(g => g.Workload)
            .ToList();

        Assert.Equal(
            [("build-agent-1", 445, "internal", 40), ("web-1", 22, "public", 200)],
            reached.Select(g => (g.Workload, g.Port, g.Scope, g.Targets)));
        Assert.True(reached.Single(g => g.Workload == "web-1").Targets >= PublicHighThreshold);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void The_noise_stays_below_its_thresholds(int seed)
    {
        var groups = SweepGroups(DemoScenario.Create(Now, seed: seed)).ToDictionary(g => (g.Workload, g.Port, g.Scope), g => g.Targets);

        Assert.Equal(20, groups[("web-2", 23, "public")]);
        Assert.Equal(20, groups[("db-1", 3389, "internal")]);
        Assert.Equal(60, groups[("monitor-1", 8080, "internal")]);
        Assert.All(groups.Where(g => g.Key.Workload is not ("web-1" or "build-agent-1") || g.Key.Port is not (22 or 445)),
            g => Assert.True(g.Value < SweepThreshold(g.Key.Scope, g.Key.Port), $"{g.Key} has {g.Value} targets"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void No_destination_sees_enough_failed_ports_for_a_port_scan(int seed)
    {
        var portsPerTarget = DemoScenario.Create(Now, seed: seed).Events
            .Where(e => e.IsFailed)
            .GroupBy(e => (e.Host, e.Dst))
            .Select(g => (g.Key.Host, Target: g.Key.Dst.ToString(), Ports: g.Select(e => e.DstPort).Distinct().Count()))
            .OrderByDescending(g => g.Ports)
            .ToList();

        Assert.Equal(("cache-1", "10.0.5.5", 10), portsPerTarget[0]);
        Assert.True(portsPerTarget[0].Ports < PortScanThreshold);
    }

    [Fact]
    public void Health_checks_fan_out_to_60_hosts_but_all_complete()
    {
        var checks = DemoScenario.Create(Now).Events.Where(e => e.Host == "monitor-1" && e.DstPort == 9100).ToList();

        Assert.Equal(60, checks.Select(e => e.Dst).Distinct().Count());
        Assert.All(checks, e => Assert.Equal(FlowState.Established, e.State));
    }

    [Fact]
    public void Each_sweep_happens_within_three_minutes_and_everything_ends_by_now()
    {
        var scenario = DemoScenario.Create(Now);
        var events = scenario.Events;

        Assert.All(events, e => Assert.InRange(e.TimeMs, Now.AddHours(-25).ToUnixTimeMilliseconds(), Now.ToUnixTimeMilliseconds()));
        Assert.All(events.Where(e => e.Host is not ("batch-1" or "stub-1")),
            e => Assert.InRange(e.TimeMs, Now.AddMinutes(-5).ToUnixTimeMilliseconds(), Now.ToUnixTimeMilliseconds()));
        Assert.Equal(events.OrderBy(e => e.TimeMs).Select(e => e.TimeMs), events.Select(e => e.TimeMs));
        foreach (var (workload, port) in new[] { ("web-1", 22), ("build-agent-1", 445) })
        {
            var sweep = events.Where(e => e.Host == workload && e.DstPort == port && e.IsFailed).ToList();
            Assert.True(sweep[^1].TimeMs - sweep[0].TimeMs <= TimeSpan.FromMinutes(3).TotalMilliseconds, $"{workload} sweep spans too long");
        }
    }

    [Fact]
    public void Traffic_is_a_realistic_mix_with_encrypted_dns_only_from_the_two_dot_workloads()
    {
        var scenario = DemoScenario.Create(Now);
        var events = scenario.Events;

        Assert.Equal(["web-1", "web-2", "db-1", "cache-1", "build-agent-1", "monitor-1", "batch-1", "stub-1"], scenario.Workloads);
        Assert.True(events.Count(e => e.State == FlowState.Established) > events.Count / 2);
        Assert.Contains(events, e => e.State == FlowState.Rejected && e.Host == "web-2" && e.DstPort == 5432);
        Assert.All(events.Where(e => e.DstPort == 853), e => Assert.Contains(e.Host, new[] { "batch-1", "stub-1" }));
        var dns = events.Where(e => e.DstPort == 53).ToList();
        Assert.All(dns, e => Assert.Equal(FlowProtocol.Udp, e.Protocol));
        Assert.Equal(2, dns.Select(e => e.Dst).Distinct().Count());
        Assert.Equal(scenario.Workloads.Order(), events.Select(e => e.Host).Distinct().Order());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void The_dot_workloads_learn_for_over_a_day_then_one_keeps_its_resolvers_and_one_starts_dot_to_an_unknown_resolver(int seed)
    {
        var scenario = DemoScenario.Create(Now, seed: seed);
        var presentMs = Now.Add(-DemoScenario.Span).ToUnixTimeMilliseconds();
        var learningPeriodMs = (long)TimeSpan.FromHours(24).TotalMilliseconds;
        foreach (var workload in new[] { "batch-1", "stub-1" })
        {
            var history = scenario.Events.Where(e => e.Host == workload && e.TimeMs < presentMs).ToList();
            Assert.True(history[^1].TimeMs - history[0].TimeMs >= learningPeriodMs, $"{workload} history is shorter than the learning period");
            Assert.True(history.Select(e => e.TimeMs / 300_000).Distinct().Count() >= 100, $"{workload} history covers too few 5-min windows");
        }

        var stubDot = scenario.Events.Where(e => e.Host == "stub-1" && e.DstPort == 853).ToList();
        var learnedResolvers = stubDot.Where(e => e.TimeMs < presentMs).Select(e => e.Dst.ToString()).ToHashSet();
        Assert.Equal(["1.0.0.1", "1.1.1.1"], learnedResolvers.Order());
        Assert.Contains(stubDot, e => e.TimeMs >= presentMs);
        Assert.All(stubDot, e => Assert.Contains(e.Dst.ToString(), learnedResolvers));
        Assert.True(stubDot.Where(e => e.TimeMs >= presentMs).GroupBy(e => e.TimeMs / 300_000).Max(g => g.Count()) < 20, "stub-1 DoT volume would reach the volume floor");

        var batchDot = scenario.Events.Where(e => e.Host == "batch-1" && e.DstPort == 853).ToList();
        Assert.NotEmpty(batchDot);
        Assert.All(batchDot, e => Assert.True(e.TimeMs >= presentMs && e.Dst.ToString() == "198.51.100.53" && e.Protocol == FlowProtocol.Tcp));
        Assert.True(batchDot.Count < 20, "batch-1 DoT volume would also raise a volume alert");
    }

    [Fact]
    public void The_prefix_goes_on_every_workload_and_expected_alert()
    {
        var scenario = DemoScenario.Create(Now, prefix: "t42-");

        Assert.All(scenario.Events, e => Assert.StartsWith("t42-", e.Host));
        Assert.Equal(
            [("t42-web-1", 22, Severity.High), ("t42-build-agent-1", 445, Severity.Medium), ("t42-batch-1", 853, Severity.High)],
            scenario.ExpectedAlerts.Select(a => (a.Workload, a.Port, a.Severity)));
    }

    [Fact]
    public void The_same_seed_gives_the_same_events()
    {
        Assert.Equal(DemoScenario.Create(Now, seed: 5).Events, DemoScenario.Create(Now, seed: 5).Events);
    }

    private static int SweepThreshold(string scope, int port) =>
        scope == "public" ? PublicSweepThreshold : LateralPorts.Contains(port) ? LateralSweepThreshold : InternalSweepThreshold;

    private static IEnumerable<(string Workload, int Port, string Scope, int Targets)> SweepGroups(DemoScenario scenario) =>
        scenario.Events
            .Where(e => e.IsFailed)
            .GroupBy(e => (e.Host, Port: (int)e.DstPort, Scope: ScopeOf(e.Dst)))
            .Select(g => (g.Key.Host, g.Key.Port, g.Key.Scope, g.Select(e => e.Dst).Distinct().Count()));

    /// <summary>The design's scope rule for IPv4: RFC 1918, RFC 6598, loopback and link-local are internal; the rest public.</summary>
    private static string ScopeOf(NetAddress address)
    {
        var ip = address.ToIPAddress();
        foreach (var cidr in new[] { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16" })
        {
            if (IPNetwork.Parse(cidr).Contains(ip)) return "internal";
        }

        return "public";
    }
}

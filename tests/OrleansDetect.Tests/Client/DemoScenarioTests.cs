using System.Net;
using OrleansDetect.Client;
using OrleansDetect.Client.Demo;

namespace OrleansDetect.Tests.Client;

/// <summary>
/// The demo promises exactly ten alerts: two sweeps and one unusual DNS-over-TLS; jump-1's sweep, scan and the recon
/// chain linking them; three workers' sweeps of the run's fleet port and the fleet-wide sweep. These tests recount its events
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
    public void Exactly_the_promised_sweeps_reach_a_sweep_threshold(int seed)
    {
        var scenario = DemoScenario.Create(Now, seed: seed);
        var fleetPort = scenario.FleetPort;

        var reached = SweepGroups(scenario)
            .Where(g => g.Targets >= SweepThreshold(g.Scope, g.Port))
            .OrderBy(g => g.Workload)
            .ToList();

        Assert.Equal(
            [("build-agent-1", 445, "internal", 40), ("jump-1", 3389, "internal", 30), ("web-1", 22, "public", 200),
             ("worker-1", fleetPort, "public", 30), ("worker-2", fleetPort, "public", 30), ("worker-3", fleetPort, "public", 30)],
            reached.Select(g => (g.Workload, g.Port, g.Scope, g.Targets)));
        Assert.All(reached.Where(g => g.Workload != "web-1"), g => Assert.True(g.Targets < 4 * SweepThreshold(g.Scope, g.Port) && g.Targets < PublicHighThreshold, $"{g} would be high"));
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
        Assert.All(groups.Where(g => !Promised(g.Key.Workload, g.Key.Port)),
            g => Assert.True(g.Value < SweepThreshold(g.Key.Scope, g.Key.Port), $"{g.Key} has {g.Value} targets"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void Only_the_chain_target_sees_enough_failed_ports_for_a_port_scan(int seed)
    {
        var scenario = DemoScenario.Create(Now, seed: seed);
        var portsPerTarget = scenario.Events
            .Where(e => e.IsFailed)
            .GroupBy(e => (e.Host, e.Dst))
            .Select(g => (g.Key.Host, Target: g.Key.Dst.ToString(), Ports: g.Select(e => e.DstPort).Distinct().Count()))
            .OrderByDescending(g => g.Ports)
            .ToList();

        // 20 scanned ports plus 3389, which the chain target refused during the sweep.
        Assert.Equal(("jump-1", scenario.ChainTarget.ToString(), 21), portsPerTarget[0]);
        Assert.InRange(portsPerTarget[0].Ports, PortScanThreshold, 99);
        Assert.Equal(("cache-1", "10.0.5.5", 10), portsPerTarget[1]);
        Assert.True(portsPerTarget[1].Ports < PortScanThreshold);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void The_chain_target_answers_the_sweep_before_it_is_scanned(int seed)
    {
        var scenario = DemoScenario.Create(Now, seed: seed);
        var jump = scenario.Events.Where(e => e.Host == "jump-1").ToList();
        var sweep = jump.Where(e => e.DstPort == 3389 && e.IsFailed).ToList();
        var scan = jump.Where(e => e.Dst == scenario.ChainTarget && e.DstPort != 3389).ToList();

        Assert.Contains(sweep, e => e.Dst == scenario.ChainTarget && e.State == FlowState.Rejected);
        Assert.True(scan.Min(e => e.TimeMs) > sweep.Max(e => e.TimeMs), "the scan starts after the sweep");
        Assert.Equal(2, scan.Count(e => e.State == FlowState.Established));
        Assert.DoesNotContain(scan, e => e.DstPort == 3389);
    }

    [Fact]
    public void The_fleet_port_depends_on_the_prefix_only_and_stays_in_its_range()
    {
        var ports = Enumerable.Range(0, 200).Select(i => DemoScenario.FleetPortFor($"{i:x6}-")).ToList();

        Assert.All(ports, p => Assert.InRange(p, 7000, 7999));
        Assert.True(ports.Distinct().Count() > 150, "prefixes should spread over the range");
        Assert.Equal(DemoScenario.FleetPortFor("abc123-"), DemoScenario.Create(Now, prefix: "abc123-").FleetPort);
        Assert.Equal(DemoScenario.Create(Now, prefix: "abc123-", seed: 1).FleetPort, DemoScenario.Create(Now, prefix: "abc123-", seed: 9).FleetPort);
        Assert.Equal($"tcp/{DemoScenario.FleetPortFor("")}", DemoScenario.Create(Now).FleetGroup);
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
        foreach (var (workload, port) in new[] { ("web-1", 22), ("build-agent-1", 445), ("jump-1", 3389), ("worker-1", scenario.FleetPort), ("worker-2", scenario.FleetPort), ("worker-3", scenario.FleetPort) })
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

        Assert.Equal(["web-1", "web-2", "db-1", "cache-1", "build-agent-1", "monitor-1", "batch-1", "stub-1", "jump-1", "worker-1", "worker-2", "worker-3"], scenario.Workloads);
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
        var fleet = scenario.FleetPort;
        Assert.Equal(
            [("t42-web-1", "port-sweep", 22, Severity.High), ("t42-build-agent-1", "port-sweep", 445, Severity.Medium), ("t42-batch-1", "unusual-encrypted-dns", 853, Severity.High),
             ("t42-jump-1", "port-sweep", 3389, Severity.Medium), ("t42-jump-1", "port-scan", 0, Severity.Medium), ("t42-jump-1", "recon-chain", 3389, Severity.High),
             ("t42-worker-1", "port-sweep", fleet, Severity.Medium), ("t42-worker-2", "port-sweep", fleet, Severity.Medium), ("t42-worker-3", "port-sweep", fleet, Severity.Medium),
             ($"tcp/{fleet}", "fleet-sweep", fleet, Severity.Medium)],
            scenario.ExpectedAlerts.Select(a => (a.Workload, a.Type, a.Port, a.Severity)));
        Assert.Equal(["t42-worker-1", "t42-worker-2", "t42-worker-3"], scenario.ExpectedAlerts[^1].ListedWorkloads!);
        Assert.Equal([.. scenario.Workloads, $"tcp/{fleet}"], scenario.AlertSubjects);
    }

    [Fact]
    public void The_same_seed_gives_the_same_events()
    {
        Assert.Equal(DemoScenario.Create(Now, seed: 5).Events, DemoScenario.Create(Now, seed: 5).Events);
    }

    private static bool Promised(string workload, int port) =>
        (workload, port) is ("web-1", 22) or ("build-agent-1", 445) or ("jump-1", 3389)
        || (workload.StartsWith("worker-", StringComparison.Ordinal) && port is >= 7000 and <= 7999);

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

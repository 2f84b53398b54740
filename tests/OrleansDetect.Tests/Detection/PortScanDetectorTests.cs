using OrleansDetect.Detection;
using static OrleansDetect.Tests.Detection.Flows;

namespace OrleansDetect.Tests.Detection;

public class PortScanDetectorTests
{
    private static readonly NetAddress Target = NetAddress.Parse("198.51.100.7");

    private static TestWorkload NewDetector(PortScanOptions? options = null) => TestWorkload.Scans(options);

    private static void Scan(TestWorkload detector, int ports, NetAddress target, long startMs = T0)
    {
        for (var i = 0; i < ports; i++)
        {
            Assert.True(detector.Observe(Failed(startMs + (i * 1_000), target, 1_000 + i)));
        }
    }

    [Fact]
    public void Fourteen_ports_are_not_a_scan()
    {
        var detector = NewDetector();
        Scan(detector, 14, Target);
        Assert.Empty(Collect(detector));
    }

    [Fact]
    public void Fifteen_ports_are_a_medium_scan_with_evidence()
    {
        var detector = NewDetector();
        Scan(detector, 15, Target);

        var finding = Assert.Single(Collect(detector));
        Assert.Equal(Target, finding.Key.Target);
        Assert.Null(finding.Key.Port);
        Assert.Equal(FlowProtocol.Tcp, finding.Key.Protocol);
        Assert.Equal(Severity.Medium, finding.Severity);
        Assert.Equal(15, finding.DistinctTargets);
        Assert.Equal(10, finding.SampleTargets.Length);
        Assert.All(finding.SampleTargets, p => Assert.InRange(int.Parse(p, System.Globalization.CultureInfo.InvariantCulture), 1_000, 1_014));
        Assert.Equal(T0, finding.WindowStartMs);
        Assert.Equal(T0 + 14_000, finding.WindowEndMs);
        Assert.Equal(15, finding.Threshold);
        Assert.Equal(["T1046"], finding.Mitre);
        Assert.Empty(Collect(detector));
    }

    [Fact]
    public void Traceroute_probes_are_path_discovery_not_a_scan_but_other_udp_ports_are()
    {
        var detector = NewDetector();
        for (var hop = 0; hop < 30; hop++)
        {
            detector.Observe(Failed(hop * 100L, Target, 33434 + hop, FlowProtocol.Udp));
        }

        Assert.Empty(Collect(detector));

        for (var port = 0; port < 20; port++)
        {
            detector.Observe(Failed(5_000 + port * 100L, Target, 20_000 + port, FlowProtocol.Udp));
        }

        Assert.Equal(20, Assert.Single(Collect(detector)).DistinctTargets);
    }

    [Fact]
    public void A_hundred_ports_are_a_high_scan()
    {
        var detector = NewDetector();
        Scan(detector, 100, NetAddress.Parse("10.0.0.5"));
        Assert.Equal(Severity.High, Assert.Single(Collect(detector)).Severity);
    }

    [Fact]
    public void Established_connections_and_multicast_targets_never_count()
    {
        var detector = NewDetector();
        for (var i = 0; i < 50; i++)
        {
            detector.Observe(Established(T0 + i, Target, 1_000 + i));
            detector.Observe(Failed(T0 + i, NetAddress.Parse("239.255.255.250"), 1_000 + i, FlowProtocol.Udp));
            detector.Observe(Failed(T0 + i, NetAddress.Parse("ff02::fb"), 1_000 + i, FlowProtocol.Udp));
        }

        Assert.Empty(Collect(detector));
        Assert.Equal(0, detector.TrackedEntries);
    }

    [Fact]
    public void Events_beyond_lateness_are_rejected()
    {
        var detector = NewDetector();
        Scan(detector, 14, Target, startMs: T0 + 300_000);
        Assert.False(detector.Observe(Failed(T0, Target, 80)));
        Assert.Equal(1, detector.LateEvents);
        Assert.Empty(Collect(detector));
    }

    [Fact]
    public void A_full_port_range_scan_stays_within_the_memory_bound()
    {
        var options = new PortScanOptions();
        var detector = NewDetector(options);
        for (var port = 1; port <= 65_535; port++)
        {
            detector.Observe(Failed(T0 + port, Target, port));
        }

        Assert.True(detector.TrackedEntries <= options.MaxPortsPerTarget);
        var finding = Assert.Single(Collect(detector));
        Assert.True(finding.Saturated);
        Assert.Equal(Severity.High, finding.Severity);
    }

    [Fact]
    public void A_sweep_is_not_a_scan_and_a_scan_is_not_a_sweep()
    {
        var workload = new TestWorkload(new DetectionSettings());

        // A sweep: port 22 on 200 public addresses.
        for (var i = 0; i < 200; i++)
        {
            Assert.True(workload.Observe(Failed(T0 + (i * 100), Public(i), 22)));
        }

        Assert.Equal(DetectionTypes.PortSweep, Assert.Single(Collect(workload)).Type);

        // A scan: 200 ports on one address.
        for (var i = 0; i < 200; i++)
        {
            Assert.True(workload.Observe(Failed(T0 + 20_000 + (i * 100), Target, 2_000 + i)));
        }

        Assert.Equal(DetectionTypes.PortScan, Assert.Single(Collect(workload)).Type);
    }
}

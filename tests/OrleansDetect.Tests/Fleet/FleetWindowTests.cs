using OrleansDetect.Detection;
using OrleansDetect.Grains.Alerts;
using static OrleansDetect.Tests.Detection.Flows;

namespace OrleansDetect.Tests.Fleet;

/// <summary>The fleet grains' plain windows: fleet-wide sweeps per port and distributed scans per destination bucket.</summary>
public class FleetWindowTests
{
    private const long Minute = 60_000;
    private const long Wall = 1_000_000;
    private static readonly FleetOptions Options = new();

    private static SweepSignal Sweep(string workload, long endMs, int distinct = 30, Severity severity = Severity.Medium) =>
        new(new AlertKey { Subject = AlertSubject.Workload(workload), Type = DetectionTypes.PortSweep, Protocol = FlowProtocol.Tcp, Port = 445, Scope = Scopes.Internal },
            severity, distinct, endMs);

    private static FleetSweepWindow Port445() => new(Options, FlowProtocol.Tcp, 445);

    [Fact]
    public void Two_workloads_sweeping_a_port_are_not_a_fleet_sweep_and_three_are()
    {
        var window = Port445();
        window.Add("w1", T0, Sweep("w1", T0), Wall);
        window.Add("w2", T0 + Minute, Sweep("w2", T0 + Minute), Wall);
        Assert.Null(window.Judge(Wall));

        window.Add("w3", T0 + (2 * Minute), Sweep("w3", T0 + (2 * Minute), distinct: 40), Wall);
        var finding = window.Judge(Wall);
        Assert.NotNull(finding);
        Assert.Equal(AlertSubject.Fleet("tcp/445"), finding.Key.Subject);
        Assert.Equal(DetectionTypes.FleetSweep, finding.Type);
        Assert.Equal(445, finding.Key.Port);
        Assert.Equal(3, finding.DistinctTargets);
        Assert.Equal(Severity.Medium, finding.Severity);
        Assert.Equal(["w1", "w2", "w3"], finding.SampleTargets);
        Assert.Equal(3, finding.Related!.Length);
        Assert.All(finding.Related, k => Assert.Equal(DetectionTypes.PortSweep, k.Type));
        Assert.Equal("w1: 30, w2: 30, w3: 40", finding.Evidence![FleetEvidence.TargetsPerWorkload]);
        Assert.Equal("Fleet-wide sweep: 3 workloads probed tcp/445: w1, w2, w3", AlertText.Title(finding));

        // Nothing new: no second finding; a fourth workload grows it.
        Assert.Null(window.Judge(Wall));
        window.Add("w4", T0 + (3 * Minute), Sweep("w4", T0 + (3 * Minute)), Wall);
        Assert.Equal(4, window.Judge(Wall)!.DistinctTargets);
    }

    [Fact]
    public void One_workload_sweeping_again_counts_once()
    {
        var window = Port445();
        for (var i = 0; i < 5; i++) window.Add("w1", T0 + (i * Minute), Sweep("w1", T0 + (i * Minute)), Wall);
        window.Add("w2", T0, Sweep("w2", T0), Wall);
        Assert.Null(window.Judge(Wall));
        Assert.Equal(2, window.TrackedWorkloads);
    }

    [Fact]
    public void Sweeps_further_apart_than_the_window_do_not_add_up()
    {
        var window = Port445();
        window.Add("w1", T0 + (30 * Minute), Sweep("w1", T0), Wall);
        window.Add("w2", T0 + (30 * Minute), Sweep("w2", T0 + (11 * Minute)), Wall);
        window.Add("w3", T0 + (30 * Minute), Sweep("w3", T0 + (22 * Minute)), Wall);
        Assert.Null(window.Judge(Wall));
    }

    [Fact]
    public void A_contribution_leaves_when_the_slowest_clock_passes_it_or_after_the_wall_clock_grace()
    {
        var window = Port445();
        window.Add("w1", T0 + (20 * Minute), Sweep("w1", T0), Wall);
        window.Add("w2", T0 + (20 * Minute), Sweep("w2", T0 + Minute), Wall);
        Assert.Null(window.Judge(Wall));
        // Every clock passed every sweep plus the window: a third workload's sweep at T0 + 2 min, reported late, finds
        // the window closed (and leaves it too).
        window.Add("w3", T0 + (20 * Minute), Sweep("w3", T0 + (2 * Minute)), Wall);
        Assert.Null(window.Judge(Wall));
        Assert.Equal(0, window.TrackedWorkloads);

        // A slow clock holds the window open, but only for the window plus the grace of wall-clock time.
        var held = Port445();
        held.Add("slow", T0, Sweep("slow", T0), Wall);
        held.Add("w2", T0 + Minute, Sweep("w2", T0 + Minute), Wall);
        var later = Wall + (long)(Options.SweepWindow + Options.Grace).TotalMilliseconds + 1;
        held.Add("w3", T0 + (2 * Minute), Sweep("w3", T0 + (2 * Minute)), later);
        Assert.Null(held.Judge(later));
        Assert.Equal(1, held.TrackedWorkloads);
    }

    [Fact]
    public void A_fleet_sweep_is_high_from_ten_workloads_or_when_a_workload_swept_high()
    {
        var ten = Port445();
        for (var i = 0; i < 10; i++) ten.Add($"w{i}", T0, Sweep($"w{i}", T0), Wall);
        Assert.Equal(Severity.High, ten.Judge(Wall)!.Severity);

        var oneHigh = Port445();
        oneHigh.Add("a", T0, Sweep("a", T0), Wall);
        oneHigh.Add("b", T0, Sweep("b", T0), Wall);
        oneHigh.Add("c", T0, Sweep("c", T0, 500, Severity.High), Wall);
        Assert.Equal(Severity.High, oneHigh.Judge(Wall)!.Severity);
    }

    [Fact]
    public void A_port_holds_a_bounded_number_of_workloads()
    {
        var options = new FleetOptions { MaxWorkloadsPerPort = 50 };
        var window = new FleetSweepWindow(options, FlowProtocol.Tcp, 445);
        for (var i = 0; i < 10_000; i++) window.Add($"w{i}", T0, Sweep($"w{i}", T0), Wall);
        Assert.Equal(50, window.TrackedWorkloads);
        var finding = window.Judge(Wall)!;
        Assert.Equal(50, finding.DistinctTargets);
        Assert.Equal("Fleet-wide sweep: 50 workloads probed tcp/445: " + string.Join(", ", finding.SampleTargets) + " and 30 more", AlertText.Title(finding));
    }

    private static readonly NetAddress Victim = NetAddress.Parse("10.200.0.9");

    private static ProbeSignal Probe(int port, long timeMs) => new(Victim, FlowProtocol.Tcp, (ushort)port, timeMs);

    [Fact]
    public void Five_workloads_probing_three_ports_each_of_one_host_are_a_distributed_scan()
    {
        var window = new DistributedScanWindow(Options);
        var findings = new List<Finding>();
        for (var w = 0; w < 5; w++)
        {
            for (var p = 0; p < 3; p++) window.Add($"w{w}", T0 + Minute, Probe(1000 + (w * 3) + p, T0 + (w * 10_000)), Wall);
            window.Judge(Wall, findings);
            if (w < 4) Assert.Empty(findings);
        }

        var scan = Assert.Single(findings);
        Assert.Equal(DetectionTypes.DistributedScan, scan.Type);
        Assert.Equal(AlertSubject.Fleet("10.200.0.9"), scan.Key.Subject);
        Assert.Equal(Victim, scan.Key.Target);
        Assert.Equal(15, scan.DistinctTargets);
        Assert.Equal("w0, w1, w2, w3, w4", scan.Evidence![FleetEvidence.Workloads]);
        Assert.Equal("w0: 1000, 1001, 1002; w1: 1003, 1004, 1005; w2: 1006, 1007, 1008; w3: 1009, 1010, 1011; w4: 1012, 1013, 1014", scan.Evidence[FleetEvidence.PortsPerWorkload]);
        Assert.Equal("Distributed scan: 5 workloads probed 15 tcp ports on 10.200.0.9", AlertText.Title(scan));
        Assert.Equal("Target", AlertText.TargetLabel(scan));
    }

    [Fact]
    public void Four_workloads_or_fourteen_ports_are_no_distributed_scan()
    {
        var four = new DistributedScanWindow(Options);
        var findings = new List<Finding>();
        for (var w = 0; w < 4; w++)
        {
            for (var p = 0; p < 10; p++) four.Add($"w{w}", T0, Probe(1000 + (w * 10) + p, T0), Wall);
        }

        four.Judge(Wall, findings);
        Assert.Empty(findings);

        var fourteen = new DistributedScanWindow(Options);
        for (var w = 0; w < 7; w++)
        {
            for (var p = 0; p < 2; p++) fourteen.Add($"w{w}", T0, Probe(1000 + (w * 2) + p, T0), Wall);
        }

        fourteen.Judge(Wall, findings);
        Assert.Empty(findings);
    }

    [Fact]
    public void Probes_older_than_the_window_on_the_slowest_clock_leave()
    {
        var window = new DistributedScanWindow(Options);
        var findings = new List<Finding>();
        for (var w = 0; w < 5; w++)
        {
            // Each workload's probes are 6 minutes after the previous one's, and every clock is past them all.
            for (var p = 0; p < 3; p++) window.Add($"w{w}", T0 + (60 * Minute), Probe(1000 + (w * 3) + p, T0 + (w * 6 * Minute)), Wall);
        }

        window.Judge(Wall, findings);
        Assert.Empty(findings);
        Assert.Equal(0, window.TrackedEntries);
    }

    [Fact]
    public void A_bucket_holds_a_bounded_number_of_probes()
    {
        var window = new DistributedScanWindow(new FleetOptions { MaxProbesPerBucket = 1_000 });
        for (var i = 0; i < 100_000; i++) window.Add($"w{i % 100}", T0, new ProbeSignal(Internal(i), FlowProtocol.Tcp, (ushort)(i % 60_000), T0), Wall);
        Assert.Equal(1_000, window.TrackedEntries);
        Assert.Equal(99_000, window.Dropped);
    }

    [Fact]
    public void Buckets_are_stable_and_spread()
    {
        var counts = new int[16];
        for (var i = 0; i < 16_000; i++) counts[DistributedScanWindow.Bucket(Internal(i), 16)]++;
        Assert.All(counts, c => Assert.InRange(c, 700, 1_300));
        Assert.Equal(DistributedScanWindow.Bucket(Victim, 256), DistributedScanWindow.Bucket(NetAddress.Parse("10.200.0.9"), 256));
    }

    [Fact]
    public void Bad_fleet_settings_name_their_keys()
    {
        var failures = new FleetOptionsValidator().Validate(null, new FleetOptions { SweepWorkloads = 1, ScanBuckets = 0, FlushInterval = TimeSpan.Zero, ProbeRefresh = TimeSpan.FromMinutes(1) }).Failures!.ToList();
        Assert.Contains("Detection:Fleet:SweepWorkloads must be between 2 and 100000", failures);
        Assert.Contains("Detection:Fleet:ScanBuckets must be between 1 and 65536", failures);
        Assert.Contains(failures, f => f.StartsWith("Detection:Fleet:FlushInterval must be between", StringComparison.Ordinal));
        Assert.Contains("Detection:Fleet:ProbeRefresh must be at most a tenth of ScanWindow (00:00:30); was 00:01:00", failures);
        Assert.True(new FleetOptionsValidator().Validate(null, new FleetOptions()).Succeeded);
    }
}

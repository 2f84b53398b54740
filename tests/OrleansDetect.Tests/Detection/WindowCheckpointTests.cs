using OrleansDetect.Detection;
using static OrleansDetect.Tests.Detection.Flows;

namespace OrleansDetect.Tests.Detection;

/// <summary>
/// The windows checkpoint: what a workload resumed on another silo gets back — half-seen sweeps and scans, its
/// clock and its counters — and that it is written only for windows holding failed attempts, compactly.
/// </summary>
public sealed class WindowCheckpointTests
{
    private static readonly DetectionSettings Settings = new();

    [Fact]
    public void A_sweep_half_before_and_half_after_a_checkpoint_is_detected_with_every_target()
    {
        var before = new WorkloadDetection("resumed", Settings);
        Observe(before, PublicSweep(T0, 0, 15, 22));
        var data = before.WriteCheckpoint();
        Assert.NotNull(data);

        var after = Resumed(data);
        Assert.Empty(Collect(after));
        Observe(after, PublicSweep(T0 + 15_000, 15, 15, 22));
        var sweep = Assert.Single(Collect(after));
        Assert.Equal(DetectionTypes.PortSweep, sweep.Type);
        Assert.Equal(Severity.Medium, sweep.Severity);
        Assert.Equal(30, sweep.DistinctTargets);
        Assert.Equal(T0, sweep.WindowStartMs);
        Assert.Equal(30, after.EventsSeen);
    }

    [Fact]
    public void A_scan_resumes_with_its_ports()
    {
        var before = new WorkloadDetection("scanned", Settings);
        Observe(before, [.. Enumerable.Range(0, 14).Select(p => Failed(T0 + p, Public(7), 1_000 + p))]);
        var after = Resumed(before.WriteCheckpoint()!);
        Observe(after, [Failed(T0 + 20, Public(7), 2_000)]);
        var scan = Assert.Single(Collect(after));
        Assert.Equal(DetectionTypes.PortScan, scan.Type);
        Assert.Equal(15, scan.DistinctTargets);
    }

    [Fact]
    public void What_was_reported_stays_reported_and_growth_is_reported_with_the_full_count()
    {
        var before = new WorkloadDetection("reported", Settings);
        Observe(before, PublicSweep(T0, 0, 30, 22));
        Assert.Single(Collect(before));
        var after = Resumed(before.WriteCheckpoint()!);

        // The same targets again: nothing new to say, as if no silo had died.
        Observe(after, PublicSweep(T0 + 40_000, 0, 30, 22));
        Assert.Empty(Collect(after));
        Observe(after, PublicSweep(T0 + 80_000, 30, 70, 22));
        var escalated = Assert.Single(Collect(after));
        Assert.Equal(Severity.High, escalated.Severity);
        Assert.Equal(100, escalated.DistinctTargets);
    }

    [Fact]
    public void The_clock_and_counters_resume_so_late_stays_late()
    {
        var settings = new DetectionSettings { Clock = new EventClockOptions { AllowedLateness = TimeSpan.FromSeconds(10) } };
        var before = new WorkloadDetection("clocked", settings);
        Assert.Equal(new BatchOutcome(2, 1, 0), before.Observe([Failed(T0 + 60_000, Public(0), 22), Failed(T0, Public(1), 22), Established(T0 + 60_000, Public(2), 443)], long.MaxValue));
        Assert.Equal(new BatchOutcome(0, 0, 1), before.Observe([Failed(T0 + 999_999_999, Public(3), 22)], T0 + 100_000));

        var after = new WorkloadDetection("clocked", settings);
        after.RestoreCheckpoint(before.WriteCheckpoint());
        Assert.Equal(T0 + 60_000, after.WatermarkMs);
        Assert.Equal(before.View().EventsSeen, after.View().EventsSeen);
        Assert.Equal(1, after.View().LateEvents);
        Assert.Equal(1, after.View().FutureEvents);
        Assert.Equal(before.View().FirstEventTime, after.View().FirstEventTime);
        Assert.Equal(before.View().LastEventTime, after.View().LastEventTime);
        Assert.Equal(new BatchOutcome(0, 1, 0), after.Observe([Failed(T0 + 30_000, Public(4), 22)], long.MaxValue));
    }

    [Fact]
    public void Counters_take_the_newer_of_baseline_and_checkpoint()
    {
        var live = new WorkloadDetection("counted", Settings);
        Observe(live, PublicSweep(T0, 0, 5, 22));
        var checkpoint = live.WriteCheckpoint()!;
        Observe(live, [.. Enumerable.Range(0, 20).Select(i => Established(T0 + 10_000 + i, Public(100 + i), 443))]);

        // The baseline was written after the checkpoint: its count (25) wins, the windows still come from the checkpoint.
        var resumed = new WorkloadDetection("counted", Settings);
        resumed.Restore(live.Export());
        resumed.RestoreCheckpoint(checkpoint);
        Assert.Equal(25, resumed.EventsSeen);
        Assert.Equal(10, resumed.TrackedWindowEntries); // 5 sweep targets, each also a one-port scan window
    }

    [Fact]
    public void Only_windows_holding_failed_attempts_are_written()
    {
        var quiet = new WorkloadDetection("quiet", Settings);
        Assert.Null(quiet.WriteCheckpoint());
        Observe(quiet, [.. Enumerable.Range(0, 50).Select(i => Established(T0 + i, Public(i), 443))]);
        Assert.False(quiet.HoldsFailedAttempts);
        Assert.Null(quiet.WriteCheckpoint());

        // Failed attempts that have all left their window (5 min public; the last was at T0 + 9 s) are nothing to keep either.
        var probed = new WorkloadDetection("probed", Settings);
        Observe(probed, PublicSweep(T0, 0, 10, 22));
        Observe(probed, [Established(T0 + 308_000, Public(99), 443)]);
        Assert.NotNull(probed.WriteCheckpoint());
        Observe(probed, [Established(T0 + 309_000, Public(99), 443)]);
        Assert.Null(probed.WriteCheckpoint());
    }

    [Fact]
    public void A_checkpoint_costs_about_24_bytes_per_ipv4_target()
    {
        // 200 targets within the window: each is a sweep entry (port 22) and a one-port scan window of its own.
        var workload = new WorkloadDetection("sized", Settings);
        Observe(workload, [.. Enumerable.Range(0, 200).Select(i => Failed(T0 + (i * 100L), Public(i), 22))]);
        Assert.Equal(400, workload.TrackedWindowEntries);
        var data = workload.WriteCheckpoint()!;
        Assert.InRange(data.Length, 200 * 20, (200 * 26) + 100);
    }

    [Fact]
    public void Ipv6_targets_and_sampled_windows_round_trip()
    {
        var before = new WorkloadDetection("six", Settings);
        var targets = Enumerable.Range(0, 26).Select(i => NetAddress.Parse($"2001:db8:{i:x}::1")).ToArray();
        Observe(before, [.. targets.Select((t, i) => Failed(T0 + i, t, 443) with { SamplingInterval = 100 })]);
        var after = Resumed(before.WriteCheckpoint()!);
        var sweep = Assert.Single(Collect(after));
        Assert.Equal(26, sweep.DistinctTargets);
        Assert.All(sweep.SampleTargets, t => Assert.Contains(NetAddress.Parse(t), targets));
        Assert.Equal("1 in 100", sweep.Evidence![EvidenceKeys.Sampled]);
    }

    [Fact]
    public void Damaged_checkpoints_are_refused_with_one_exception_type_and_never_exceed_the_bounds()
    {
        var source = new WorkloadDetection("damaged", Settings);
        Observe(source, [.. PublicSweep(T0, 0, 40, 22), .. Enumerable.Range(0, 20).Select(p => Failed(T0 + p, Public(3), 2_000 + p))]);
        var data = source.WriteCheckpoint()!;
        var random = new Random(10);
        var bounds = new PortSweepOptions().MaxTrackedTargets + new PortScanOptions().MaxTrackedPorts;
        for (var round = 0; round < 2_000; round++)
        {
            var damaged = round % 3 == 0 ? data[..random.Next(data.Length)] : (byte[])data.Clone();
            if (round % 3 != 0)
            {
                for (var flips = random.Next(1, 4); flips > 0; flips--) damaged[random.Next(1, damaged.Length)] = (byte)random.Next(256);
            }

            var target = new WorkloadDetection("damaged", Settings);
            try
            {
                target.RestoreCheckpoint(damaged);
                Assert.InRange(target.TrackedWindowEntries, 0, bounds);
            }
            catch (InvalidCheckpointException)
            {
                // Refused: the grain starts this workload with empty windows.
            }
        }

        Assert.Throws<InvalidCheckpointException>(() => new WorkloadDetection("v", Settings).RestoreCheckpoint([2, .. data[1..]]));
    }

    private static WorkloadDetection Resumed(byte[] data)
    {
        var workload = new WorkloadDetection("resumed", Settings);
        workload.RestoreCheckpoint(data);
        return workload;
    }

    private static void Observe(WorkloadDetection workload, FlowEvent[] events)
    {
        var outcome = workload.Observe(events, long.MaxValue);
        Assert.Equal(0, outcome.Late);
    }

    private static List<Finding> Collect(WorkloadDetection workload)
    {
        var findings = new List<Finding>();
        workload.Collect(findings);
        return findings;
    }

    /// <summary>Failed attempts on <paramref name="port"/> to public targets first..first+count, one second apart from <paramref name="startMs"/>.</summary>
    private static FlowEvent[] PublicSweep(long startMs, int first, int count, int port) =>
        [.. Enumerable.Range(first, count).Select(i => Failed(startMs + ((i - first) * 1_000L), Public(i), port))];
}

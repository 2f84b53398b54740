using OrleansDetect.Detection;
using static OrleansDetect.Tests.Detection.Flows;

namespace OrleansDetect.Tests.Detection;

/// <summary>One workload's clock, shared by every detector: what is late is late for all of them.</summary>
public sealed class WorkloadDetectionTests
{
    [Fact]
    public void One_allowed_lateness_applies_to_sweeps_and_scans_alike()
    {
        var workload = new WorkloadDetection("clocked", new DetectionSettings { Clock = new EventClockOptions { AllowedLateness = TimeSpan.FromSeconds(10) } });
        Assert.Equal(new BatchOutcome(1, 0, 0), workload.Observe([Failed(T0 + 60_000, Public(0), 22)], long.MaxValue));

        // 24 more sweep targets and 14 more ports on one host, all 30 s behind the clock: late for every detector.
        var late = Enumerable.Range(1, 24).Select(i => Failed(T0 + 30_000, Public(i), 22))
            .Concat(Enumerable.Range(0, 14).Select(p => Failed(T0 + 30_000, Public(0), 1_000 + p)))
            .ToArray();
        Assert.Equal(new BatchOutcome(0, late.Length, 0), workload.Observe(late, long.MaxValue));
        var findings = new List<Finding>();
        workload.Collect(findings);
        Assert.Empty(findings);
        Assert.Equal(late.Length, workload.View().LateEvents);
        Assert.Equal(1, workload.EventsSeen);

        // The same flows on time complete both a sweep and a scan.
        var onTime = late.Select(e => e with { TimeMs = T0 + 61_000 }).ToArray();
        Assert.Equal(new BatchOutcome(onTime.Length, 0, 0), workload.Observe(onTime, long.MaxValue));
        workload.Collect(findings);
        Assert.Equal([DetectionTypes.PortScan, DetectionTypes.PortSweep], findings.Select(f => f.Type).Order());
        Assert.All(findings, f => Assert.Equal("clocked", f.Key.Workload));
    }

    [Fact]
    public void Events_beyond_the_latest_allowed_time_are_rejected_and_do_not_move_the_clock()
    {
        var workload = new WorkloadDetection("skewed", new DetectionSettings());
        var outcome = workload.Observe([Failed(T0 + 3_600_000, Public(0), 22), Failed(T0, Public(1), 22)], latestAllowedMs: T0 + 1_000);
        Assert.Equal(new BatchOutcome(1, 0, 1), outcome);
        Assert.Equal(T0, workload.WatermarkMs);
        Assert.Equal(1, workload.View().FutureEvents);
    }

    [Fact]
    public void A_probe_the_fleet_heard_is_told_again_only_after_the_probe_refresh()
    {
        var workload = new WorkloadDetection("repeating", new DetectionSettings { Fleet = new FleetOptions { ProbeRefresh = TimeSpan.FromSeconds(15) } });
        ProbeSignal[] Batch(long timeMs, params NetAddress[] targets)
        {
            workload.Observe([.. targets.Select(t => Failed(timeMs, t, 8080))], long.MaxValue);
            workload.Collect([]);
            return workload.TakeSignals()?.Probes ?? [];
        }

        Assert.Equal([Public(0)], Batch(T0, Public(0)).Select(p => p.Dst));

        // The same failure 5 s later is nothing new to the fleet; a new target is.
        Assert.Empty(Batch(T0 + 5_000, Public(0)));
        Assert.Equal([Public(1)], Batch(T0 + 6_000, Public(0), Public(1)).Select(p => p.Dst));

        // Past the refresh the repeat is told again, stamped with the workload's clock.
        var again = Assert.Single(Batch(T0 + 15_000, Public(0)));
        Assert.Equal((Public(0), T0 + 15_000), (again.Dst, again.TimeMs));
    }

    [Fact]
    public void Alert_keys_keep_the_historical_fingerprints()
    {
        var sweep = new AlertKey { Subject = AlertSubject.Workload("web-1"), Type = DetectionTypes.PortSweep, Protocol = FlowProtocol.Tcp, Port = 22, Scope = Scopes.Public };
        var scan = new AlertKey { Subject = AlertSubject.Workload("web-1"), Type = DetectionTypes.PortScan, Protocol = FlowProtocol.Tcp, Target = NetAddress.Parse("10.0.0.5") };
        var fleet = new AlertKey { Subject = AlertSubject.Fleet("tcp/445"), Type = "fleet-sweep", Protocol = FlowProtocol.Tcp, Port = 445, Scope = Scopes.Internal };

        Assert.Equal("web-1|port-sweep|tcp/22|public", sweep.Fingerprint);
        Assert.Equal("web-1|port-scan|tcp/0|10.0.0.5", scan.Fingerprint);
        Assert.Equal("fleet:tcp/445|fleet-sweep|tcp/445|internal", fleet.Fingerprint);
        Assert.Null(fleet.Workload);

        // The id scheme: 16 hex digits of the fingerprint's SHA-256, a dash, the sequence.
        Assert.Equal("6319c9c500ad99b3", AlertIds.GrainKey(sweep)); // what earlier releases gave this sweep
        Assert.Matches("^[0-9a-f]{16}$", AlertIds.GrainKey(sweep));
        Assert.NotEqual(AlertIds.GrainKey(sweep), AlertIds.GrainKey(sweep with { Scope = Scopes.Internal }));
    }
}

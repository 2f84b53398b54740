using OrleansDetect.Detection;
using static OrleansDetect.Tests.Detection.Flows;

namespace OrleansDetect.Tests.Detection;

public class PortSweepDetectorTests
{
    private static TestWorkload NewDetector(PortSweepOptions? options = null) => TestWorkload.Sweeps(options);

    [Fact]
    public void Twenty_four_public_targets_are_not_a_sweep()
    {
        var detector = NewDetector();
        Sweep(detector, 24, 22, Public);
        Assert.Empty(Collect(detector));
    }

    [Fact]
    public void Twenty_five_public_targets_are_a_medium_sweep_with_evidence()
    {
        var detector = NewDetector();
        Sweep(detector, 25, 22, Public);
        detector.Observe(Failed(T0 + 30_000, Public(24), 22)); // a retry: one more attempt, no new target

        var finding = Assert.Single(Collect(detector));
        Assert.Equal(FlowProtocol.Tcp, finding.Key.Protocol);
        Assert.Equal(22, finding.Key.Port);
        Assert.Equal(Scopes.Public, finding.Key.Scope);
        Assert.Equal(Severity.Medium, finding.Severity);
        Assert.Equal(25, finding.DistinctTargets);
        Assert.Equal(26, finding.FailedAttempts);
        Assert.False(finding.Saturated);
        Assert.Equal(10, finding.SampleTargets.Length);
        Assert.All(finding.SampleTargets, t => Assert.Equal(TargetScope.Public, NetworkScope.Default.Classify(NetAddress.Parse(t))));
        Assert.Equal(10, finding.SampleTargets.Distinct().Count());
        Assert.Equal(T0, finding.WindowStartMs);
        Assert.Equal(T0 + 30_000, finding.WindowEndMs);
        Assert.Equal(25, finding.Threshold);
        Assert.Equal("static public threshold 25", finding.ThresholdReason);
        Assert.Equal(["T1046", "T1595.001"], finding.Mitre);
    }

    [Fact]
    public void A_hundred_public_targets_are_a_high_sweep()
    {
        var detector = NewDetector();
        Sweep(detector, 100, 3389, Public, stepMs: 100);
        var finding = Assert.Single(Collect(detector));
        Assert.Equal(Severity.High, finding.Severity);
        Assert.Equal(100, finding.DistinctTargets);
    }

    [Fact]
    public void Established_connections_never_count()
    {
        var detector = NewDetector();
        for (var i = 0; i < 500; i++)
        {
            Assert.True(detector.Observe(Established(T0 + i, Public(i), 443)));
        }

        Assert.Empty(Collect(detector));
        Assert.Equal(0, detector.TrackedEntries);
    }

    [Fact]
    public void Targets_spread_over_more_than_the_window_do_not_count()
    {
        // 40 targets, one every 15 s: 10 min in all, but never more than 20 inside any 5 min window. The windows
        // never see a sweep; only the slow (idle-expiry) tracker does, once its set holds 25.
        var detector = NewDetector();
        for (var i = 0; i < 40; i++)
        {
            detector.Observe(Failed(T0 + (i * 15_000), Public(i), 22));
            var findings = Collect(detector);
            Assert.DoesNotContain(findings, f => f.Type == DetectionTypes.PortSweep);
            if (i == 24) Assert.Equal(DetectionTypes.SlowPortSweep, Assert.Single(findings).Type);
        }
    }

    [Fact]
    public void Out_of_order_events_within_lateness_count()
    {
        var detector = NewDetector();
        Sweep(detector, 24, 22, Public, startMs: T0 + 100_000);

        // 113 s older than the watermark: within the 2 min lateness, and counted at its own time.
        Assert.True(detector.Observe(Failed(T0 + 10_000, Public(24), 22)));

        var finding = Assert.Single(Collect(detector));
        Assert.Equal(25, finding.DistinctTargets);
        Assert.Equal(T0 + 10_000, finding.WindowStartMs);
        Assert.Equal(0, detector.LateEvents);
    }

    [Fact]
    public void Events_beyond_lateness_are_rejected()
    {
        var detector = NewDetector();
        Sweep(detector, 24, 22, Public, startMs: T0 + 300_000);

        Assert.False(detector.Observe(Failed(T0 + 100_000, Public(24), 22)));

        Assert.Equal(1, detector.LateEvents);
        Assert.Empty(Collect(detector));
    }

    [Fact]
    public void Repeated_collect_without_growth_reports_nothing_new()
    {
        var detector = NewDetector();
        Sweep(detector, 30, 22, Public);
        Assert.Single(Collect(detector));
        Assert.Empty(Collect(detector));

        // More attempts to known targets are not news either.
        detector.Observe(Failed(T0 + 31_000, Public(3), 22));
        Assert.Empty(Collect(detector));

        // New targets are.
        detector.Observe(Failed(T0 + 32_000, Public(30), 22));
        var grown = Assert.Single(Collect(detector));
        Assert.Equal(31, grown.DistinctTargets);
        Assert.Equal(Severity.Medium, grown.Severity);

        Sweep(detector, 69, 22, i => Public(31 + i), startMs: T0 + 33_000, stepMs: 10);
        var escalated = Assert.Single(Collect(detector));
        Assert.Equal(Severity.High, escalated.Severity);
        Assert.Equal(100, escalated.DistinctTargets);
    }

    [Fact]
    public void A_sweep_after_the_window_drained_is_reported_again()
    {
        var detector = NewDetector();
        Sweep(detector, 25, 22, Public);
        Assert.Single(Collect(detector));

        // Six minutes later the first sweep has left the window.
        detector.Observe(Established(T0 + 385_000, Public(0), 443));
        Assert.Empty(Collect(detector));

        Sweep(detector, 25, 22, i => Public(1_000 + i), startMs: T0 + 390_000);
        var again = Assert.Single(Collect(detector));
        Assert.Equal(25, again.DistinctTargets);
        Assert.Equal(T0 + 390_000, again.WindowStartMs);
    }

    [Fact]
    public void Forty_internal_targets_on_a_lateral_movement_port_are_a_medium_sweep()
    {
        var detector = NewDetector();
        Sweep(detector, 40, 445, Internal);

        var finding = Assert.Single(Collect(detector));
        Assert.Equal(Scopes.Internal, finding.Key.Scope);
        Assert.Equal(Severity.Medium, finding.Severity);
        Assert.Equal(25, finding.Threshold);
        Assert.Equal("lateral-movement port threshold 25", finding.ThresholdReason);
        Assert.Equal(["T1046", "T1018"], finding.Mitre);
    }

    [Fact]
    public void Forty_internal_targets_on_an_ordinary_port_are_not_a_sweep()
    {
        var detector = NewDetector();
        Sweep(detector, 40, 8080, Internal);
        Assert.Empty(Collect(detector));
    }

    [Fact]
    public void A_hundred_internal_targets_on_an_ordinary_port_are_a_medium_sweep()
    {
        var detector = NewDetector();
        Sweep(detector, 100, 8080, Internal);

        var finding = Assert.Single(Collect(detector));
        Assert.Equal(Severity.Medium, finding.Severity);
        Assert.Equal(100, finding.Threshold);
        Assert.Equal("static internal threshold 100", finding.ThresholdReason);
    }

    [Fact]
    public void Internal_sweeps_are_high_at_four_times_their_threshold()
    {
        var detector = NewDetector();
        Sweep(detector, 100, 445, Internal);
        Sweep(detector, 399, 8080, Internal, startMs: T0 + 100_000, stepMs: 100);

        var findings = Collect(detector);
        Assert.Equal(Severity.High, Assert.Single(findings, f => f.Key.Port == 445).Severity);
        Assert.Equal(Severity.Medium, Assert.Single(findings, f => f.Key.Port == 8080).Severity);
    }

    [Fact]
    public void Internal_targets_stay_in_the_longer_internal_window()
    {
        // 50 targets over 8 min: past the public window, inside the internal one.
        var detector = NewDetector();
        Sweep(detector, 50, 22, Internal, stepMs: 9_600);
        Assert.Equal(50, Assert.Single(Collect(detector)).DistinctTargets);
    }

    [Fact]
    public void Ipv6_public_sweeps_are_detected()
    {
        var detector = NewDetector();
        var prefix = NetAddress.Parse("2001:4860::");
        Sweep(detector, 25, 22, i => new NetAddress(prefix.Hi, (ulong)i + 1));

        var finding = Assert.Single(Collect(detector));
        Assert.Equal(Scopes.Public, finding.Key.Scope);
        Assert.Equal(Severity.Medium, finding.Severity);
        Assert.Equal("2001:4860::1", finding.SampleTargets[0].ToString());
    }

    [Fact]
    public void Ipv6_internal_sweeps_are_detected()
    {
        var detector = NewDetector();
        var ula = NetAddress.Parse("fd00:1234::");
        Sweep(detector, 25, 3389, i => new NetAddress(ula.Hi, (ulong)i + 1));

        var finding = Assert.Single(Collect(detector));
        Assert.Equal(Scopes.Internal, finding.Key.Scope);
        Assert.Equal("lateral-movement port threshold 25", finding.ThresholdReason);
    }

    [Fact]
    public void Multicast_and_broadcast_destinations_are_not_targets()
    {
        var detector = NewDetector();
        for (var i = 0; i < 200; i++)
        {
            detector.Observe(Failed(T0 + i, NetAddress.FromV4(0xE000_0000u + (uint)i), 5353, FlowProtocol.Udp));
        }

        detector.Observe(Failed(T0 + 300_000, NetAddress.Parse("255.255.255.255"), 5353, FlowProtocol.Udp));
        Assert.Empty(Collect(detector));
        Assert.Equal(0, detector.TrackedEntries);
    }

    [Fact]
    public void Operator_networks_make_a_public_sweep_internal()
    {
        var scope = NetworkScope.FromOptions(new NetworkScopeOptions { InternalNetworks = ["45.0.0.0/16"] });
        var detector = new TestWorkload(new DetectionSettings { Scope = scope });
        Sweep(detector, 30, 8080, Public);
        Assert.Empty(Collect(detector));

        Sweep(detector, 30, 22, Public, startMs: T0 + 40_000);
        Assert.Equal(Scopes.Internal, Assert.Single(Collect(detector)).Key.Scope);
    }

    [Fact]
    public void A_huge_sweep_stays_within_the_memory_bound_and_is_still_high()
    {
        var options = new PortSweepOptions { MaxTrackedTargets = 50_000, MaxTargetsPerPort = 50_000 };
        var detector = NewDetector(options);
        Sweep(detector, 100_000, 80, Public, stepMs: 1);

        Assert.True(detector.TrackedEntries <= options.MaxTrackedTargets);
        var finding = Assert.Single(Collect(detector));
        Assert.Equal(Severity.High, finding.Severity);
        Assert.True(finding.Saturated);
        Assert.InRange(finding.DistinctTargets, options.PublicHighThreshold, options.MaxTrackedTargets);
    }

    [Fact]
    public void A_huge_sweep_on_one_port_does_not_blind_the_others()
    {
        var detector = NewDetector();
        Sweep(detector, 60_000, 80, Public, stepMs: 1);
        Sweep(detector, 25, 445, Internal, startMs: T0 + 60_000);

        var findings = Collect(detector);
        var huge = Assert.Single(findings, f => f.Key.Port == 80);
        Assert.True(huge.Saturated);
        Assert.Equal(new PortSweepOptions().MaxTargetsPerPort, huge.DistinctTargets);
        Assert.Equal(Severity.Medium, Assert.Single(findings, f => f.Key.Port == 445).Severity);
    }

    [Fact]
    public void Junk_on_fifty_thousand_ports_cannot_blind_a_real_sweep_and_is_itself_reported()
    {
        // 50,001 failed flows, each to its own port: they fill MaxTrackedTargets (50,000) without any port near a
        // threshold. Then a 100-target tcp/22 sweep, which must still be seen — high, as for a clean workload.
        var detector = NewDetector();
        for (var i = 0; i < 50_001; i++)
        {
            Assert.True(detector.Observe(Failed(T0 + i, Public(i), 1024 + i)));
        }

        Sweep(detector, 100, 22, i => Public(100_000 + i), startMs: T0 + 60_000);

        var findings = Collect(detector);
        var sweep = Assert.Single(findings, f => f.Type == DetectionTypes.PortSweep);
        Assert.Equal((22, Severity.High, 100), (sweep.Key.Port, sweep.Severity, sweep.DistinctTargets));
        var capacity = Assert.Single(findings, f => f.Type == DetectionTypes.TrackingCapacity);
        Assert.Equal(Severity.High, capacity.Severity);
        Assert.InRange(capacity.FailedAttempts, 1, 50_001); // entries dropped, all junk
        Assert.True(detector.TrackedEntries <= new PortSweepOptions().MaxTrackedTargets + 1);

        // Reported once per push, not on every later batch.
        Sweep(detector, 5, 22, i => Public(200_000 + i), startMs: T0 + 170_000);
        Assert.DoesNotContain(Collect(detector), f => f.Type == DetectionTypes.TrackingCapacity);
    }

    [Fact]
    public void A_sweep_seen_through_sampled_flows_says_its_counts_are_sampled()
    {
        var detector = NewDetector();
        for (var i = 0; i < 30; i++)
        {
            Assert.True(detector.Observe(Failed(T0 + (i * 1_000L), Public(i), 22) with { SamplingInterval = 100 }));
        }

        var finding = Assert.Single(Collect(detector));
        Assert.Equal("1 in 100", finding.Evidence![EvidenceKeys.Sampled]);
        Assert.EndsWith("(sampled 1 in 100)", OrleansDetect.Grains.Alerts.AlertText.Title(finding), StringComparison.Ordinal);

        // Unsampled flows long after: the window no longer holds sampled ones, and the new sweep does not say so.
        var later = T0 + 3_600_000;
        Sweep(detector, 30, 23, Public, startMs: later);
        Assert.False(Assert.Single(Collect(detector)).Evidence?.ContainsKey(EvidenceKeys.Sampled) ?? false);
    }

    [Fact]
    public void A_learned_floor_raises_the_threshold()
    {
        // A learned workload that usually fails towards 13 ± 0.5 public destinations on tcp/22 per window:
        // floor = 3 × (13 + 2 × 0.5) = 42.
        var detector = NewDetector();
        detector.Detection.Restore(new WorkloadSnapshot
        {
            Baseline = new BaselineSnapshot
            {
                LearningStartMs = T0 - 86_400_000,
                LearnedAtMs = T0 - 3_600_000,
                ActiveWindows = 288,
                FanOut = [(new PortKey(FlowProtocol.Tcp, 22, TargetScope.Public), new RunningEstimate { Windows = 288, Mean = 13, Variance = 0.25 })],
            },
        });
        Sweep(detector, 30, 22, Public);
        Assert.Empty(Collect(detector));

        Sweep(detector, 12, 22, i => Public(30 + i), startMs: T0 + 30_000);
        var finding = Assert.Single(Collect(detector));
        Assert.Equal(42, finding.Threshold);
        Assert.StartsWith("learned baseline threshold 42: 3 × this workload's usual high of 14 distinct failed destinations", finding.ThresholdReason);
        Assert.EndsWith("(static 25)", finding.ThresholdReason);
        Assert.Equal(Severity.Medium, finding.Severity);
        Assert.False(finding.DuringLearning);
    }

    [Fact]
    public void A_disabled_detector_reports_nothing()
    {
        var detector = NewDetector(new PortSweepOptions { Enabled = false });
        Sweep(detector, 200, 22, Public);
        Assert.Empty(Collect(detector));
    }

    [Fact]
    public void The_host_view_lists_the_largest_windows()
    {
        var detector = NewDetector();
        Sweep(detector, 12, 22, Public);
        Sweep(detector, 7, 445, Internal, startMs: T0 + 20_000);

        var windows = detector.Detection.View().SweepWindows;
        Assert.Equal(new PortWindowView("tcp", 22, "public", 12, 25), windows[0]);
        Assert.Equal(new PortWindowView("tcp", 445, "internal", 7, 25), windows[1]);
        Assert.Equal(T0 + 26_000, detector.Detection.WatermarkMs);
    }
}

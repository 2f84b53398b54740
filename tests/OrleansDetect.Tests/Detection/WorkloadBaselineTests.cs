using OrleansDetect.Detection;
using OrleansDetect.Grains.Workloads;

namespace OrleansDetect.Tests.Detection;

/// <summary>The baseline's estimators, its learned sweep thresholds, clock jumps and its stored form.</summary>
public sealed class WorkloadBaselineTests
{
    private const long WindowMs = 5 * 60_000;

    private static readonly BaselineOptions Options = new()
    {
        LearningPeriod = TimeSpan.FromHours(1),
        MinActiveWindows = 3,
        Window = TimeSpan.FromMinutes(5),
    };

    [Fact]
    public void While_learning_the_estimate_is_the_exact_mean_and_variance_then_it_moves_slowly()
    {
        var estimate = new RunningEstimate();
        foreach (var x in new[] { 2.0, 4, 4, 4, 5, 5, 7, 9 }) estimate.Add(x, alpha: null);

        Assert.Equal(8, estimate.Windows);
        Assert.Equal(5, estimate.Mean, 9);
        Assert.Equal(2, estimate.StdDev, 9);
        Assert.Equal(9, estimate.High, 9);

        estimate.Add(105, alpha: 0.01);
        Assert.Equal(6, estimate.Mean, 9); // one window of 100 above the mean moves it by 1%
    }

    [Fact]
    public void A_workload_that_normally_fans_out_with_failures_gets_a_raised_sweep_threshold_but_a_real_sweep_still_alerts()
    {
        var workload = new TestWorkload(new DetectionSettings { Baseline = Options });
        var baseline = workload.Baseline;
        var port8301 = new PortKey(FlowProtocol.Tcp, 8301, TargetScope.Public);

        // A service-discovery agent: every window, 28-32 public peers on tcp/8301 that do not answer.
        var t = Flows.T0;
        var duringLearning = 0;
        for (var w = 0; w < 16; w++)
        {
            var windowStart = Flows.T0 + w * WindowMs;
            for (var i = 0; i < 28 + (w % 5); i++)
            {
                t = windowStart + i * 1000;
                Assert.True(workload.Observe(Flows.Failed(t, Flows.Public(w * 100 + i), 8301)));
            }

            if (baseline.IsLearned) continue;
            var found = Flows.Collect(workload);
            Assert.All(found, f => Assert.True(f.DuringLearning));
            duringLearning += found.Count;
        }

        Assert.True(baseline.IsLearned);
        Assert.True(duringLearning > 0, "while learning, the static threshold (25) applies");
        var floor = baseline.LearnedFloor(port8301);
        Assert.InRange(floor, 85, 130); // 3 × (mean ≈ 31 + 2 × sd)
        Flows.Collect(workload);

        // An ordinary window after learning: 32 peers, above the static 25, below the learned floor.
        var next = (t / WindowMs + 1) * WindowMs + WindowMs; // past the sweep window of the last peers
        for (var i = 0; i < 32; i++) Assert.True(workload.Observe(Flows.Failed(next + i * 1000, Flows.Public(5000 + i), 8301)));
        Assert.Empty(Flows.Collect(workload));

        // A real sweep of 200 still alerts, and says which threshold applied and why.
        for (var i = 0; i < 200; i++) Assert.True(workload.Observe(Flows.Failed(next + 40_000 + i * 500, Flows.Public(9000 + i), 8301)));
        var finding = Assert.Single(Flows.Collect(workload));
        Assert.False(finding.DuringLearning);
        floor = baseline.LearnedFloor(port8301);
        Assert.Equal(floor, finding.Threshold);
        Assert.StartsWith($"learned baseline threshold {floor}: 3 × this workload's usual high of", finding.ThresholdReason);
        Assert.EndsWith("(static 25)", finding.ThresholdReason);

        // Other ports keep the static thresholds.
        Assert.Equal(0, baseline.LearnedFloor(new PortKey(FlowProtocol.Tcp, 22, TargetScope.Public)));
    }

    [Fact]
    public void A_clock_jump_does_not_end_learning_or_learn_the_skipped_windows_as_zero()
    {
        var baseline = new WorkloadBaseline(Options);
        baseline.Advance(Flows.T0);
        baseline.Advance(Flows.T0 + TimeSpan.FromDays(30).Ticks / TimeSpan.TicksPerMillisecond);

        Assert.False(baseline.IsLearned); // an hour of event time passed, but only 2 windows had traffic
        Assert.Equal(2, baseline.ActiveWindows);
    }

    [Fact]
    public void Tracked_ports_are_bounded_and_forgetting_is_counted()
    {
        var baseline = new WorkloadBaseline(new BaselineOptions { LearningPeriod = TimeSpan.FromHours(1), MaxTrackedPorts = 4 });
        baseline.Advance(Flows.T0);

        // Ten ports, each busier than the last: the four busiest stay, the six quieter ones were forgotten in turn.
        for (var port = 1; port <= 10; port++)
        {
            baseline.RecordFanOut([new FanOutSample(new PortKey(FlowProtocol.Tcp, port, TargetScope.Public), Distinct: port, StaticThreshold: 25)]);
        }

        Assert.Equal(4, baseline.TrackedPorts);
        Assert.Equal(6, baseline.PortsEvicted);
        Assert.Equal([10, 9, 8, 7], baseline.FanOutFigures().Select(f => f.Key.Port).OrderDescending());

        // A quiet newcomer does not displace them.
        baseline.RecordFanOut([new FanOutSample(new PortKey(FlowProtocol.Tcp, 11, TargetScope.Public), Distinct: 1, StaticThreshold: 25)]);
        Assert.Equal(6, baseline.PortsEvicted);
        Assert.DoesNotContain(baseline.FanOutFigures(), f => f.Key.Port == 11);
    }

    [Fact]
    public void The_stored_form_round_trips()
    {
        var workload = new TestWorkload(new DetectionSettings { Baseline = Options });
        for (var w = 0; w < 14; w++)
        {
            Assert.True(workload.Observe(new FlowEvent(Flows.T0 + w * WindowMs, Flows.Workload, 1, NetAddress.Parse("9.9.9.9"), 853, FlowProtocol.Tcp, FlowState.Established, 900, 6)));
        }

        var baseline = workload.Baseline;
        var state = BaselineState.From(workload.Detection.Export());
        var restored = new TestWorkload(new DetectionSettings { Baseline = Options });
        restored.Detection.Restore(state.ToSnapshot());

        Assert.Equal(BaselineState.CurrentVersion, state.Version);
        Assert.Equal(14, state.EventsSeen);
        Assert.Equal((Flows.T0, Flows.T0 + 13 * WindowMs), (state.FirstEventMs, state.LastEventMs));
        Assert.True(restored.Baseline.IsLearned);
        Assert.Equal(baseline.LearnedAtMs, restored.Baseline.LearnedAtMs);
        Assert.Equal(baseline.Volume(EncryptedDnsProtocol.DoT), restored.Baseline.Volume(EncryptedDnsProtocol.DoT));
        Assert.True(restored.Baseline.HasLearnedResolver(EncryptedDnsProtocol.DoT));
        Assert.Equal(baseline.Resolvers().Select(r => (r.Address, r.Protocol, r.Stats.Connections)), restored.Baseline.Resolvers().Select(r => (r.Address, r.Protocol, r.Stats.Connections)));
        Assert.Equal(14, restored.Detection.EventsSeen);
        Assert.Throws<NotSupportedException>(() => new BaselineState { Version = BaselineState.CurrentVersion + 1 }.ToSnapshot());
    }

    [Fact]
    public void A_learning_period_of_seconds_ends_in_seconds_of_event_time()
    {
        var baseline = new WorkloadBaseline(new BaselineOptions { LearningPeriod = TimeSpan.FromSeconds(30) });
        const long start = 1_795_000_000_000;
        baseline.Advance(start);
        baseline.Advance(start + 29_000);
        Assert.False(baseline.IsLearned);
        baseline.Advance(start + 31_000);
        Assert.True(baseline.IsLearned);
    }
}

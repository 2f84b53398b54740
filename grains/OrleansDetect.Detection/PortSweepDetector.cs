namespace OrleansDetect.Detection;

/// <summary>
/// Port sweeps of one workload: distinct destinations with failed attempts per (protocol, port, scope)
/// within the scope's event-time window, on the workload's clock. One instance per workload; single-threaded,
/// like its grain. A learned <see cref="WorkloadBaseline"/>, when given, raises a port's threshold where the
/// workload normally fans out with failures (DESIGN.md: max(static, k × learned quantile)).
/// </summary>
public sealed partial class PortSweepDetector
{
    private static readonly string[] PublicMitre = ["T1046", "T1595.001"];
    private static readonly string[] InternalMitre = ["T1046", "T1018"];

    private readonly PortSweepOptions _options;
    private readonly NetworkScope _scope;
    private readonly AlertSubject _subject;
    private readonly WorkloadBaseline? _baseline;
    private readonly SlidingDistinctWindows<PortKey, NetAddress> _windows;
    // The method as a delegate, made once: converting it at every judgement allocated two delegates per batch per workload.
    private readonly Func<PortKey, int, WindowThreshold> _threshold;
    private readonly HashSet<int> _lateralMovementPorts;
    private readonly List<WindowReport<PortKey, NetAddress>> _reports = [];
    private readonly IdleExpiringDistinctSets<PortKey, NetAddress>? _slow;
    private readonly List<SlowSetReport<PortKey, NetAddress>> _slowReports = [];
    private readonly string _slowRule = "";
    private readonly long _publicWindowMs;
    private readonly long _internalWindowMs;
    private readonly bool _enabled;
    private long _droppedReported;
    private SampledWindow _sampled;

    /// <param name="slow">The slow tracker's settings; null or disabled: windows only.</param>
    public PortSweepDetector(PortSweepOptions options, NetworkScope scope, AlertSubject subject, WorkloadBaseline? baseline = null, SlowProbeOptions? slow = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scope);
        _options = options;
        _enabled = options.Enabled;
        _scope = scope;
        _subject = subject;
        _baseline = baseline;
        _lateralMovementPorts = [.. options.EffectiveLateralMovementPorts];
        _publicWindowMs = (long)options.PublicWindow.TotalMilliseconds;
        _internalWindowMs = (long)options.InternalWindow.TotalMilliseconds;
        _threshold = Threshold;
        _windows = new SlidingDistinctWindows<PortKey, NetAddress>(
            options.MaxTrackedTargets, options.MaxTargetsPerPort, options.SampleSize, StaticThreshold,
            pruneEveryMs: Math.Min(_publicWindowMs, _internalWindowMs) / 8);
        if (slow is { Enabled: true })
        {
            _slow = new IdleExpiringDistinctSets<PortKey, NetAddress>(
                (long)slow.IdleTimeout.TotalMilliseconds, slow.MaxTrackedTargets, slow.MaxTargetsPerSet, options.SampleSize, StaticThreshold);
            _slowRule = SlowFindings.Rule(slow.IdleTimeout);
        }
    }

    /// <summary>Targets the slow tracker holds (0 when it is off).</summary>
    public int TrackedSlowTargets => _slow?.TrackedMembers ?? 0;

    /// <summary>Window entries held, across all ports (at most <see cref="PortSweepOptions.MaxTrackedTargets"/>).</summary>
    public int TrackedTargets => _windows.TrackedMembers;

    /// <summary>Counts one admitted event; <paramref name="watermarkMs"/> is the workload's clock after admitting it.</summary>
    public void Observe(in FlowEvent e, long watermarkMs)
    {
        _windows.AdvanceTo(watermarkMs);
        _slow?.AdvanceTo(watermarkMs);
        if (!e.IsFailed || !_enabled)
        {
            return;
        }

        var scope = _scope.Classify(e.Dst);
        if (scope != TargetScope.NotATarget)
        {
            var windowMs = scope == TargetScope.Public ? _publicWindowMs : _internalWindowMs;
            var key = new PortKey(e.Protocol, e.DstPort, scope);
            _windows.Add(key, e.Dst, e.TimeMs, windowMs, watermarkMs);
            _slow?.Add(key, e.Dst, e.TimeMs, watermarkMs);
            _sampled.Observe(e, windowMs);
        }
    }

    /// <summary>Adds the sweeps that are new, rose in severity or gained destinations since they were last reported.</summary>
    /// <param name="duringLearning">The workload's baseline is still learning: findings say they were judged on static thresholds.</param>
    public void Collect(long watermarkMs, bool duringLearning, List<Finding> findings)
    {
        ArgumentNullException.ThrowIfNull(findings);
        _reports.Clear();
        _windows.Judge(watermarkMs, _threshold, _reports);
        foreach (var report in _reports)
        {
            var group = report.Group;
            findings.Add(SweepFinding(DetectionTypes.PortSweep, group, report.Severity, report.Distinct, report.Sample,
                report.FailedAttempts, report.WindowStartMs, watermarkMs, report.Threshold.Medium, ThresholdReason(group), duringLearning,
                _sampled.Mark(report.Saturated ? FindingEvidence.Saturated() : null, watermarkMs)));
            _slow?.MuteOpenSet(group);
        }

        CollectSlow(watermarkMs, duringLearning, findings);
        if (_windows.Evicted > _droppedReported)
        {
            _droppedReported = _windows.Evicted;
            findings.Add(TrackingCapacity.Exceeded(_subject, "sweep", "Detection:PortSweep:MaxTrackedTargets", _windows.Evicted,
                _windows.TrackedMembers, _options.MaxTrackedTargets, Math.Max(_publicWindowMs, _internalWindowMs), watermarkMs, duringLearning));
        }
    }

    /// <summary>Slow sweeps: idle-expiry sets that reached the windows' thresholds although no window did.</summary>
    private void CollectSlow(long watermarkMs, bool duringLearning, List<Finding> findings)
    {
        if (_slow is null) return;
        _slowReports.Clear();
        _slow.Judge(_threshold, _slowReports);
        foreach (var report in _slowReports)
        {
            // A group its windows reported (before a restart too: the reports are checkpointed) is no slow news.
            if (_windows.IsReported(report.Group))
            {
                _slow.MuteOpenSet(report.Group);
                continue;
            }

            findings.Add(SweepFinding(DetectionTypes.SlowPortSweep, report.Group, report.Severity, report.Distinct, report.Sample,
                report.FailedAttempts, report.FirstMs, watermarkMs, report.Threshold.Medium, $"{ThresholdReason(report.Group)}, {_slowRule}", duringLearning,
                SlowFindings.Evidence(report.Saturated, report.LastNewMs)));
        }
    }

    /// <summary>A sweep finding (windowed or slow) of one (protocol, port, scope) group.</summary>
    private Finding SweepFinding(string type, PortKey group, Severity severity, int distinct, NetAddress[] sample, int failedAttempts,
        long startMs, long endMs, int threshold, string thresholdReason, bool duringLearning, Dictionary<string, string>? evidence) => new()
    {
        Key = new AlertKey { Subject = _subject, Type = type, Protocol = group.Protocol, Port = group.Port, Scope = group.Scope.ToScopeName() },
        Severity = severity,
        DistinctTargets = distinct,
        SampleTargets = Array.ConvertAll(sample, static a => a.ToString()),
        FailedAttempts = failedAttempts,
        WindowStartMs = startMs,
        WindowEndMs = endMs,
        Threshold = threshold,
        ThresholdReason = thresholdReason,
        Mitre = group.Scope == TargetScope.Public ? PublicMitre : InternalMitre,
        DuringLearning = duringLearning,
        Evidence = evidence,
    };

    /// <summary>The largest windows, for the workload view; counts may include entries that expired since the last prune.</summary>
    public IEnumerable<(PortKey Key, int Distinct, int Threshold)> Windows(int top = 20)
    {
        foreach (var (group, distinct, staticThreshold) in _windows.Largest(top))
        {
            yield return (group, distinct, Threshold(group, staticThreshold).Medium);
        }
    }

    /// <summary>
    /// Adds each window's exact distinct count (after a prune, so O(tracked entries): the baseline calls it once
    /// per baseline window). The sweep window is at least as long as the baseline window, so at a baseline
    /// window's end it holds every failed destination of that window.
    /// </summary>
    public void Sample(long watermarkMs, List<FanOutSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (watermarkMs != long.MinValue)
        {
            _windows.Prune(watermarkMs);
        }

        _windows.ForEachGroup(samples, static (list, group, distinct, staticThreshold) =>
            list.Add(new FanOutSample(group, distinct, staticThreshold)));
    }

    private int StaticThreshold(PortKey group) =>
        group.Scope == TargetScope.Public ? _options.PublicMediumThreshold
        : _lateralMovementPorts.Contains(group.Port) ? _options.LateralMovementThreshold
        : _options.InternalThreshold;

    private WindowThreshold Threshold(PortKey group, int staticMedium)
    {
        var staticHigh = group.Scope == TargetScope.Public ? _options.PublicHighThreshold : _options.InternalHighMultiplier * staticMedium;
        var learned = _baseline?.LearnedFloor(group) ?? 0;
        if (learned > staticMedium)
        {
            // High keeps the static high:medium ratio above the learned floor.
            var learnedHigh = (int)Math.Min(int.MaxValue, ((long)learned * staticHigh + staticMedium - 1) / staticMedium);
            return new WindowThreshold(learned, Math.Max(staticHigh, learnedHigh));
        }

        return new WindowThreshold(staticMedium, staticHigh);
    }

    /// <summary>Why <see cref="Threshold"/> is what it is, for a finding (the baseline has not moved since the judgement).</summary>
    private string ThresholdReason(PortKey group)
    {
        var staticMedium = StaticThreshold(group);
        var learned = _baseline?.LearnedFloor(group) ?? 0;
        if (learned > staticMedium)
        {
            return $"{_baseline!.DescribeFloor(group)} (static {staticMedium})";
        }

        var reason = group.Scope == TargetScope.Public ? $"static public threshold {staticMedium}"
            : _lateralMovementPorts.Contains(group.Port) ? $"lateral-movement port threshold {staticMedium}"
            : $"static internal threshold {staticMedium}";
        if (learned > 0)
        {
            reason += $" (above the learned baseline threshold {learned})";
        }

        return reason;
    }
}

namespace OrleansDetect.Detectors;

/// <summary>Where a learned baseline raises a port's sweep threshold (DESIGN.md: max(static, k × learned quantile)).</summary>
public interface IPortThresholdSource
{
    /// <summary>The learned minimum threshold for this port and scope, or 0 when nothing has been learned.</summary>
    int LearnedFloor(FlowProtocol protocol, int port, TargetScope scope);

    /// <summary>Why the learned floor is what it is, for the alert's threshold reason.</summary>
    string DescribeFloor(FlowProtocol protocol, int port, TargetScope scope) =>
        $"learned baseline threshold {LearnedFloor(protocol, port, scope)}";
}

/// <summary>One port swept across many destinations of one scope.</summary>
public sealed record SweepFinding
{
    public static IReadOnlyList<string> PublicMitre { get; } = ["T1046", "T1595.001"];
    public static IReadOnlyList<string> InternalMitre { get; } = ["T1046", "T1018"];

    public required FlowProtocol Protocol { get; init; }
    public required int Port { get; init; }
    public required TargetScope Scope { get; init; }
    public required Severity Severity { get; init; }
    public required int DistinctTargets { get; init; }

    /// <summary>Some destinations were not tracked because a memory bound was hit: <see cref="DistinctTargets"/> is "at least".</summary>
    public required bool Saturated { get; init; }
    public required NetAddress[] SampleTargets { get; init; }

    /// <summary>Failed attempts to the destinations now in the window.</summary>
    public required int FailedAttempts { get; init; }

    /// <summary>Event time of the oldest destination still in the window (Unix ms).</summary>
    public required long WindowStartMs { get; init; }

    /// <summary>The watermark when the finding was made (Unix ms).</summary>
    public required long WindowEndMs { get; init; }
    public required int Threshold { get; init; }
    public required string ThresholdReason { get; init; }
    public required IReadOnlyList<string> Mitre { get; init; }
}

/// <summary>
/// Port sweeps of one workload: distinct destinations with failed attempts per (protocol, port, scope)
/// within the scope's event-time window. One instance per workload; single-threaded, like its grain.
/// </summary>
public sealed class PortSweepDetector : IFanOutSource
{
    private readonly PortSweepOptions _options;
    private readonly NetworkScope _scope;
    private readonly EventClock _clock;
    private readonly SlidingDistinctWindows<SweepGroup, NetAddress> _windows;
    private readonly HashSet<int> _lateralMovementPorts;
    private readonly List<WindowReport<SweepGroup, NetAddress>> _reports = [];
    private readonly long _publicWindowMs;
    private readonly long _internalWindowMs;
    private readonly bool _enabled;

    public PortSweepDetector(PortSweepOptions options, NetworkScope scope)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scope);
        _options = options;
        _enabled = options.Enabled;
        _scope = scope;
        _clock = new EventClock(options.AllowedLateness);
        _lateralMovementPorts = [.. options.EffectiveLateralMovementPorts];
        _publicWindowMs = (long)options.PublicWindow.TotalMilliseconds;
        _internalWindowMs = (long)options.InternalWindow.TotalMilliseconds;
        _windows = new SlidingDistinctWindows<SweepGroup, NetAddress>(
            options.MaxTrackedTargets, options.MaxTargetsPerPort, options.SampleSize, StaticThreshold,
            pruneEveryMs: Math.Min(_publicWindowMs, _internalWindowMs) / 8);
    }

    /// <summary>Raises thresholds where the workload's learned baseline fans out with failures; none by default.</summary>
    public IPortThresholdSource? ThresholdSource { get; set; }

    public long WatermarkMs => _clock.WatermarkMs;

    public long LateEvents => _clock.LateEvents;

    /// <summary>Window entries held, across all ports (at most <see cref="PortSweepOptions.MaxTrackedTargets"/>).</summary>
    public int TrackedTargets => _windows.TrackedMembers;

    /// <summary>Counts one event; false when it is too late (older than the watermark minus the allowed lateness).</summary>
    public bool Observe(in FlowEvent e)
    {
        if (!_clock.Admit(e.TimeMs))
        {
            return false;
        }

        var watermarkMs = _clock.WatermarkMs;
        _windows.AdvanceTo(watermarkMs);

        if (!e.IsFailed || !_enabled)
        {
            return true;
        }

        var scope = _scope.Classify(e.Dst);
        if (scope != TargetScope.NotATarget)
        {
            var windowMs = scope == TargetScope.Public ? _publicWindowMs : _internalWindowMs;
            _windows.Add(new SweepGroup(e.Protocol, e.DstPort, scope), e.Dst, e.TimeMs, windowMs, watermarkMs);
        }

        return true;
    }

    /// <summary>Adds the sweeps that are new, rose in severity or gained destinations since they were last reported.</summary>
    public void Collect(List<SweepFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(findings);
        _reports.Clear();
        _windows.Judge(_clock.WatermarkMs, Threshold, _reports);
        foreach (var report in _reports)
        {
            var group = report.Group;
            findings.Add(new SweepFinding
            {
                Protocol = group.Protocol,
                Port = group.Port,
                Scope = group.Scope,
                Severity = report.Severity,
                DistinctTargets = report.Distinct,
                Saturated = report.Saturated,
                SampleTargets = report.Sample,
                FailedAttempts = report.FailedAttempts,
                WindowStartMs = report.WindowStartMs,
                WindowEndMs = _clock.WatermarkMs,
                Threshold = report.Threshold.Medium,
                ThresholdReason = report.Threshold.Reason,
                Mitre = group.Scope == TargetScope.Public ? SweepFinding.PublicMitre : SweepFinding.InternalMitre,
            });
        }
    }

    /// <summary>The largest windows, for the host view; counts may include entries that expired since the last prune.</summary>
    public IEnumerable<(FlowProtocol Protocol, int Port, TargetScope Scope, int Distinct, int Threshold)> Windows(int top = 20)
    {
        foreach (var (group, distinct, staticThreshold) in _windows.Largest(top))
        {
            yield return (group.Protocol, group.Port, group.Scope, distinct, Threshold(group, staticThreshold).Medium);
        }
    }

    /// <summary>
    /// Adds each window's exact distinct count (after a prune, so O(tracked entries): the baseline calls it once
    /// per baseline window). The sweep window is at least as long as the baseline window, so at a baseline
    /// window's end it holds every failed destination of that window.
    /// </summary>
    public void Sample(List<FanOutSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (_clock.WatermarkMs != long.MinValue)
        {
            _windows.Prune(_clock.WatermarkMs);
        }

        _windows.ForEachGroup(samples, static (list, group, distinct, staticThreshold) =>
            list.Add(new FanOutSample(group.Protocol, group.Port, group.Scope, distinct, staticThreshold)));
    }

    private int StaticThreshold(SweepGroup group) =>
        group.Scope == TargetScope.Public ? _options.PublicMediumThreshold
        : _lateralMovementPorts.Contains(group.Port) ? _options.LateralMovementThreshold
        : _options.InternalThreshold;

    private WindowThreshold Threshold(SweepGroup group, int staticMedium)
    {
        var isPublic = group.Scope == TargetScope.Public;
        var staticHigh = isPublic ? _options.PublicHighThreshold : _options.InternalHighMultiplier * staticMedium;
        var learned = ThresholdSource?.LearnedFloor(group.Protocol, group.Port, group.Scope) ?? 0;
        if (learned > staticMedium)
        {
            // High keeps the static high:medium ratio above the learned floor.
            var learnedHigh = (int)Math.Min(int.MaxValue, ((long)learned * staticHigh + staticMedium - 1) / staticMedium);
            var why = ThresholdSource!.DescribeFloor(group.Protocol, group.Port, group.Scope);
            return new WindowThreshold(learned, Math.Max(staticHigh, learnedHigh), $"{why} (static {staticMedium})");
        }

        var reason = isPublic ? $"static public threshold {staticMedium}"
            : _lateralMovementPorts.Contains(group.Port) ? $"lateral-movement port threshold {staticMedium}"
            : $"static internal threshold {staticMedium}";
        if (learned > 0)
        {
            reason += $" (above the learned baseline threshold {learned})";
        }

        return new WindowThreshold(staticMedium, staticHigh, reason);
    }
}

/// <summary>(protocol, destination port, scope) packed into one int: a cheap key and its own hash.</summary>
internal readonly struct SweepGroup(FlowProtocol protocol, ushort port, TargetScope scope) : IEquatable<SweepGroup>
{
    private readonly int _packed = ((int)protocol << 24) | ((int)scope << 16) | port;

    public FlowProtocol Protocol => (FlowProtocol)(_packed >> 24);

    public int Port => _packed & 0xFFFF;

    public TargetScope Scope => (TargetScope)((_packed >> 16) & 0xFF);

    public bool Equals(SweepGroup other) => _packed == other._packed;

    public override bool Equals(object? obj) => obj is SweepGroup other && Equals(other);

    public override int GetHashCode() => _packed;
}

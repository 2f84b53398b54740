using System.Globalization;

namespace OrleansDetect.Detection;

/// <summary>
/// Port scans of one workload: distinct failed destination ports per (protocol, destination) within an
/// event-time window, on the workload's clock. ICMP has no ports and is not counted. One instance per workload;
/// single-threaded.
/// </summary>
public sealed partial class PortScanDetector
{
    private static readonly string[] ScanMitre = ["T1046"];

    private readonly NetworkScope _scope;
    private readonly AlertSubject _subject;
    private readonly Func<ScanTarget, int, WindowThreshold> _threshold;
    private readonly string _thresholdReason;
    private readonly SlidingDistinctWindows<ScanTarget, ushort> _windows;
    private readonly List<WindowReport<ScanTarget, ushort>> _reports = [];
    private readonly IdleExpiringDistinctSets<ScanTarget, ushort>? _slow;
    private readonly List<SlowSetReport<ScanTarget, ushort>> _slowReports = [];
    private readonly string _slowRule = "";
    private readonly long _windowMs;
    private const int TracerouteFirstPort = 33434;
    private const int TracerouteLastPort = 33534;
    private readonly bool _enabled;
    private readonly bool _ignoreTraceroute;
    private readonly int _maxTracked;
    private long _droppedReported;
    private SampledWindow _sampled;

    /// <param name="slow">The slow tracker's settings; null or disabled: windows only.</param>
    public PortScanDetector(PortScanOptions options, NetworkScope scope, AlertSubject subject, SlowProbeOptions? slow = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scope);
        _enabled = options.Enabled;
        _ignoreTraceroute = options.IgnoreTraceroute;
        _scope = scope;
        _subject = subject;
        _windowMs = (long)options.Window.TotalMilliseconds;
        _maxTracked = options.MaxTrackedPorts;
        var threshold = new WindowThreshold(options.MediumThreshold, options.HighThreshold);
        _thresholdReason = $"static port-scan threshold {options.MediumThreshold}";
        _threshold = (_, _) => threshold;
        _windows = new SlidingDistinctWindows<ScanTarget, ushort>(
            options.MaxTrackedPorts, options.MaxPortsPerTarget, options.SampleSize, _ => options.MediumThreshold, pruneEveryMs: _windowMs / 8);
        if (slow is { Enabled: true })
        {
            _slow = new IdleExpiringDistinctSets<ScanTarget, ushort>(
                (long)slow.IdleTimeout.TotalMilliseconds, slow.MaxTrackedTargets, Math.Min(slow.MaxTargetsPerSet, options.MaxPortsPerTarget),
                options.SampleSize, _ => options.MediumThreshold);
            _slowRule = SlowFindings.Rule(slow.IdleTimeout);
        }
    }

    /// <summary>Ports the slow tracker holds (0 when it is off).</summary>
    public int TrackedSlowPorts => _slow?.TrackedMembers ?? 0;

    /// <summary>Window entries held (at most <see cref="PortScanOptions.MaxTrackedPorts"/>).</summary>
    public int TrackedPorts => _windows.TrackedMembers;

    /// <summary>Counts one admitted event; <paramref name="watermarkMs"/> is the workload's clock after admitting it.</summary>
    public void Observe(in FlowEvent e, long watermarkMs)
    {
        _windows.AdvanceTo(watermarkMs);
        _slow?.AdvanceTo(watermarkMs);

        if (e.IsFailed && e.Protocol != FlowProtocol.Icmp && _enabled
            && !(_ignoreTraceroute && IsTracerouteProbe(e))
            && _scope.Classify(e.Dst) != TargetScope.NotATarget)
        {
            var target = new ScanTarget(e.Protocol, e.Dst);
            _windows.Add(target, e.DstPort, e.TimeMs, _windowMs, watermarkMs);
            _slow?.Add(target, e.DstPort, e.TimeMs, watermarkMs);
            _sampled.Observe(e, _windowMs);
        }
    }

    private static bool IsTracerouteProbe(in FlowEvent e) =>
        e.Protocol == FlowProtocol.Udp && e.DstPort is >= TracerouteFirstPort and <= TracerouteLastPort;

    /// <summary>Adds the scans that are new, rose in severity or gained ports since they were last reported.</summary>
    /// <param name="duringLearning">The workload's baseline is still learning: findings say they were judged on static thresholds.</param>
    public void Collect(long watermarkMs, bool duringLearning, List<Finding> findings)
    {
        ArgumentNullException.ThrowIfNull(findings);
        _reports.Clear();
        _windows.Judge(watermarkMs, _threshold, _reports);
        foreach (var report in _reports)
        {
            findings.Add(ScanFinding(DetectionTypes.PortScan, report.Group, report.Severity, report.Distinct, report.Sample,
                report.FailedAttempts, report.WindowStartMs, watermarkMs, report.Threshold.Medium, _thresholdReason, duringLearning,
                _sampled.Mark(report.Saturated ? FindingEvidence.Saturated() : null, watermarkMs)));
            _slow?.MuteOpenSet(report.Group);
        }

        CollectSlow(watermarkMs, duringLearning, findings);
        if (_windows.Evicted > _droppedReported)
        {
            _droppedReported = _windows.Evicted;
            findings.Add(TrackingCapacity.Exceeded(_subject, "scan", "Detection:PortScan:MaxTrackedPorts", _windows.Evicted,
                _windows.TrackedMembers, _maxTracked, _windowMs, watermarkMs, duringLearning));
        }
    }

    /// <summary>Slow scans: idle-expiry port sets that reached the scan threshold although no window did.</summary>
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

            findings.Add(ScanFinding(DetectionTypes.SlowPortScan, report.Group, report.Severity, report.Distinct, report.Sample,
                report.FailedAttempts, report.FirstMs, watermarkMs, report.Threshold.Medium, $"{_thresholdReason}, {_slowRule}", duringLearning,
                SlowFindings.Evidence(report.Saturated, report.LastNewMs)));
        }
    }

    /// <summary>A scan finding (windowed or slow): a scan spans ports, so its key is the target and its port is null.</summary>
    private Finding ScanFinding(string type, ScanTarget group, Severity severity, int distinct, ushort[] sample, int failedAttempts,
        long startMs, long endMs, int threshold, string thresholdReason, bool duringLearning, Dictionary<string, string>? evidence) => new()
    {
        Key = new AlertKey { Subject = _subject, Type = type, Protocol = group.Protocol, Target = group.Target },
        Severity = severity,
        DistinctTargets = distinct,
        SampleTargets = Array.ConvertAll(sample, static p => p.ToString(CultureInfo.InvariantCulture)),
        FailedAttempts = failedAttempts,
        WindowStartMs = startMs,
        WindowEndMs = endMs,
        Threshold = threshold,
        ThresholdReason = thresholdReason,
        Mitre = ScanMitre,
        DuringLearning = duringLearning,
        Evidence = evidence,
    };
}

/// <summary>(protocol, destination): the group a port scan counts ports in.</summary>
internal readonly struct ScanTarget(FlowProtocol protocol, NetAddress target) : IEquatable<ScanTarget>
{
    public NetAddress Target { get; } = target;

    public FlowProtocol Protocol { get; } = protocol;

    public bool Equals(ScanTarget other) => Target.Hi == other.Target.Hi && Target.Lo == other.Target.Lo && Protocol == other.Protocol;

    public override bool Equals(object? obj) => obj is ScanTarget other && Equals(other);

    public override int GetHashCode()
    {
        var mixed = (Target.Hi * 0x9E37_79B9_7F4A_7C15UL) ^ Target.Lo ^ ((ulong)Protocol << 48);
        return (int)mixed ^ (int)(mixed >> 32);
    }
}

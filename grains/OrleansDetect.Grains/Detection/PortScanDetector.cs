namespace OrleansDetect.Detectors;

/// <summary>Where a learned baseline raises a destination's scan threshold.</summary>
public interface IScanThresholdSource
{
    /// <summary>The learned minimum threshold for ports probed on this destination, or 0 when nothing has been learned.</summary>
    int LearnedFloor(FlowProtocol protocol, NetAddress target);
}

/// <summary>Many ports probed on one destination.</summary>
public sealed record ScanFinding
{
    public static IReadOnlyList<string> ScanMitre { get; } = ["T1046"];

    public required NetAddress Target { get; init; }
    public required FlowProtocol Protocol { get; init; }
    public required Severity Severity { get; init; }
    public required int DistinctPorts { get; init; }

    /// <summary>Some ports were not tracked because a memory bound was hit: <see cref="DistinctPorts"/> is "at least".</summary>
    public required bool Saturated { get; init; }
    public required int[] SamplePorts { get; init; }
    public required int FailedAttempts { get; init; }
    public required long WindowStartMs { get; init; }
    public required long WindowEndMs { get; init; }
    public required int Threshold { get; init; }
    public required string ThresholdReason { get; init; }
    public required IReadOnlyList<string> Mitre { get; init; }
}

/// <summary>
/// Port scans of one workload: distinct failed destination ports per (protocol, destination) within an
/// event-time window. ICMP has no ports and is not counted. One instance per workload; single-threaded.
/// </summary>
public sealed class PortScanDetector
{
    private readonly PortScanOptions _options;
    private readonly NetworkScope _scope;
    private readonly EventClock _clock;
    private readonly SlidingDistinctWindows<ScanTarget, ushort> _windows;
    private readonly List<WindowReport<ScanTarget, ushort>> _reports = [];
    private readonly long _windowMs;
    private readonly string _staticReason;
    private const int TracerouteFirstPort = 33434;
    private const int TracerouteLastPort = 33534;
    private readonly bool _enabled;
    private readonly bool _ignoreTraceroute;

    public PortScanDetector(PortScanOptions options, NetworkScope scope)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scope);
        _options = options;
        _enabled = options.Enabled;
        _ignoreTraceroute = options.IgnoreTraceroute;
        _scope = scope;
        _clock = new EventClock(options.AllowedLateness);
        _windowMs = (long)options.Window.TotalMilliseconds;
        _staticReason = $"static port-scan threshold {options.MediumThreshold}";
        _windows = new SlidingDistinctWindows<ScanTarget, ushort>(
            options.MaxTrackedPorts, options.MaxPortsPerTarget, options.SampleSize, _ => options.MediumThreshold, pruneEveryMs: _windowMs / 8);
    }

    /// <summary>Raises thresholds for destinations the workload normally probes with failures; none by default.</summary>
    public IScanThresholdSource? ThresholdSource { get; set; }

    public long WatermarkMs => _clock.WatermarkMs;

    public long LateEvents => _clock.LateEvents;

    /// <summary>Window entries held (at most <see cref="PortScanOptions.MaxTrackedPorts"/>).</summary>
    public int TrackedPorts => _windows.TrackedMembers;

    /// <summary>Counts one event; false when it is too late (older than the watermark minus the allowed lateness).</summary>
    public bool Observe(in FlowEvent e)
    {
        if (!_clock.Admit(e.TimeMs))
        {
            return false;
        }

        var watermarkMs = _clock.WatermarkMs;
        _windows.AdvanceTo(watermarkMs);

        if (e.IsFailed && e.Protocol != FlowProtocol.Icmp && _enabled
            && !(_ignoreTraceroute && IsTracerouteProbe(e))
            && _scope.Classify(e.Dst) != TargetScope.NotATarget)
        {
            _windows.Add(new ScanTarget(e.Protocol, e.Dst), e.DstPort, e.TimeMs, _windowMs, watermarkMs);
        }

        return true;
    }

    private static bool IsTracerouteProbe(in FlowEvent e) =>
        e.Protocol == FlowProtocol.Udp && e.DstPort is >= TracerouteFirstPort and <= TracerouteLastPort;

    /// <summary>Adds the scans that are new, rose in severity or gained ports since they were last reported.</summary>
    public void Collect(List<ScanFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(findings);
        _reports.Clear();
        _windows.Judge(_clock.WatermarkMs, Threshold, _reports);
        foreach (var report in _reports)
        {
            var ports = new int[report.Sample.Length];
            for (var i = 0; i < ports.Length; i++)
            {
                ports[i] = report.Sample[i];
            }

            findings.Add(new ScanFinding
            {
                Target = report.Group.Target,
                Protocol = report.Group.Protocol,
                Severity = report.Severity,
                DistinctPorts = report.Distinct,
                Saturated = report.Saturated,
                SamplePorts = ports,
                FailedAttempts = report.FailedAttempts,
                WindowStartMs = report.WindowStartMs,
                WindowEndMs = _clock.WatermarkMs,
                Threshold = report.Threshold.Medium,
                ThresholdReason = report.Threshold.Reason,
                Mitre = ScanFinding.ScanMitre,
            });
        }
    }

    private WindowThreshold Threshold(ScanTarget target, int staticMedium)
    {
        var learned = ThresholdSource?.LearnedFloor(target.Protocol, target.Target) ?? 0;
        if (learned > staticMedium)
        {
            var learnedHigh = (int)Math.Min(int.MaxValue, ((long)learned * _options.HighThreshold + staticMedium - 1) / staticMedium);
            return new WindowThreshold(learned, Math.Max(_options.HighThreshold, learnedHigh), $"learned baseline threshold {learned} (static {staticMedium})");
        }

        return new WindowThreshold(staticMedium, _options.HighThreshold, _staticReason);
    }
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

using System.Globalization;
using OrleansDetect.Detectors;

namespace OrleansDetect.Grains;

/// <summary>Turns the detectors' findings into the reports alert grains receive.</summary>
internal static class DetectionMapping
{
    public static DetectionReport From(string workload, SweepFinding f) => new()
    {
        Workload = workload,
        Type = DetectionTypes.PortSweep,
        Severity = f.Severity,
        Protocol = f.Protocol,
        Port = f.Port,
        Scope = f.Scope.ToScopeName(),
        DistinctTargets = f.DistinctTargets,
        SampleTargets = f.SampleTargets.Select(t => t.ToString()).ToArray(),
        WindowStartMs = f.WindowStartMs,
        WindowEndMs = f.WindowEndMs,
        Threshold = f.Threshold,
        ThresholdReason = f.ThresholdReason,
        Mitre = [.. f.Mitre],
        FailedAttempts = f.FailedAttempts,
        Evidence = f.Saturated ? Saturated : null,
    };

    public static DetectionReport From(string workload, ScanFinding f) => new()
    {
        Workload = workload,
        Type = DetectionTypes.PortScan,
        Severity = f.Severity,
        Protocol = f.Protocol,
        // A scan's fingerprint is per target; its "port" is not meaningful, so 0 keeps one alert per target.
        Port = 0,
        Scope = f.Target.ToString(),
        DistinctTargets = f.DistinctPorts,
        SampleTargets = f.SamplePorts.Select(p => p.ToString(CultureInfo.InvariantCulture)).ToArray(),
        WindowStartMs = f.WindowStartMs,
        WindowEndMs = f.WindowEndMs,
        Threshold = f.Threshold,
        ThresholdReason = f.ThresholdReason,
        Mitre = [.. f.Mitre],
        FailedAttempts = f.FailedAttempts,
        Evidence = f.Saturated ? Saturated : null,
    };

    public static string ScopeName(TargetScope scope) => scope.ToScopeName();

    private static Dictionary<string, string> Saturated => new() { [Alerts.AlertText.SaturatedEvidenceKey] = "true" };
}

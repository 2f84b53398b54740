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

    /// <summary>
    /// Resolver findings are filed per resolver (scope = its address), so each new resolver is its own alert;
    /// volume findings per protocol under scope "volume".
    /// </summary>
    public static DetectionReport From(string workload, EncryptedDnsFinding f)
    {
        var (protocol, port) = EncryptedDnsFinding.AlertPort(f.Protocol);
        var resolver = f.Resolver.ToString();
        var evidence = new Dictionary<string, string>(f.Baseline)
        {
            [Alerts.AlertText.ResolverEvidenceKey] = f.ResolverName is null ? resolver : $"{resolver} ({f.ResolverName})",
            [Alerts.AlertText.ReasonEvidenceKey] = f.Reason,
            ["protocol"] = $"{EncryptedDnsFinding.ProtocolName(f.Protocol)} ({DetectionReport.ProtocolName(protocol)}/{port})",
            ["connections in window"] = f.WindowConnections.ToString(CultureInfo.InvariantCulture),
            ["bytes in window"] = f.WindowBytes.ToString(CultureInfo.InvariantCulture),
        };
        return new DetectionReport
        {
            Workload = workload,
            Type = DetectionTypes.UnusualEncryptedDns,
            Severity = f.Severity,
            Protocol = protocol,
            Port = port,
            Scope = f.Kind == EncryptedDnsFindingKind.Volume ? VolumeScope : resolver,
            DistinctTargets = 1,
            SampleTargets = [resolver],
            WindowStartMs = f.WindowStartMs,
            WindowEndMs = f.WindowEndMs,
            Threshold = f.Threshold,
            ThresholdReason = f.ThresholdReason,
            Mitre = [.. EncryptedDnsFinding.Mitre],
            Evidence = evidence,
        };
    }

    /// <summary>The scope of an encrypted-DNS volume alert's fingerprint.</summary>
    public const string VolumeScope = "volume";

    private static Dictionary<string, string> Saturated => new() { [Alerts.AlertText.SaturatedEvidenceKey] = "true" };
}

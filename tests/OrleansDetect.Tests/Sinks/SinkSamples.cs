using OrleansDetect.Alerts;

namespace OrleansDetect.Tests.Sinks;

/// <summary>Alerts as the alert grain would make them, for the sink tests.</summary>
internal static class SinkSamples
{
    public static readonly DateTimeOffset Raised = new(2026, 11, 28, 4, 48, 0, TimeSpan.Zero);

    public static DetectionReport PublicSweep(string workload = "web-1", int distinct = 200, Severity severity = Severity.High) => new()
    {
        Workload = workload,
        Type = DetectionTypes.PortSweep,
        Severity = severity,
        Protocol = FlowProtocol.Tcp,
        Port = 22,
        Scope = Scopes.Public,
        DistinctTargets = distinct,
        SampleTargets = ["198.51.100.7", "203.0.113.9", "192.0.2.44"],
        WindowStartMs = Raised.AddMinutes(-5).ToUnixTimeMilliseconds(),
        WindowEndMs = Raised.ToUnixTimeMilliseconds(),
        Threshold = 100,
        ThresholdReason = "static default",
        Mitre = ["T1046", "T1595.001"],
        FailedAttempts = 240,
    };

    public static DetectionReport PortScan(string workload = "web-1") => PublicSweep(workload) with
    {
        Type = DetectionTypes.PortScan,
        Severity = Severity.Medium,
        Port = 0,
        Scope = "10.0.0.5",
        DistinctTargets = 120,
        SampleTargets = ["22", "23", "80", "443"],
        Threshold = 15,
        Mitre = ["T1046"],
    };

    public static AlertRecord Alert(DetectionReport d, int sequence = 1, int version = 1, DateTimeOffset? raised = null)
    {
        var at = raised ?? Raised;
        return new AlertRecord
        {
            Id = AlertIds.Format(AlertIds.GrainKey(d.Fingerprint), sequence),
            Fingerprint = d.Fingerprint,
            Title = AlertText.Title(d),
            Severity = d.Severity,
            FirstSeen = at.AddMinutes(-5),
            LastSeen = at,
            RaisedAt = at,
            UpdatedAt = at.AddMinutes(version - 1),
            Updates = version,
            Version = version,
            Evidence = d,
        };
    }
}

using OrleansDetect.Grains.Alerts;

namespace OrleansDetect.Tests.Alerts;

/// <summary>Alerts as the alert grain would make them, for the alert text, RSS and sink tests.</summary>
internal static class AlertSamples
{
    public static readonly DateTimeOffset Raised = new(2026, 11, 28, 4, 48, 0, TimeSpan.Zero);

    public static Finding PublicSweep(string workload = "web-1", int distinct = 200, Severity severity = Severity.High) => new()
    {
        Key = new AlertKey
        {
            Subject = AlertSubject.Workload(workload),
            Type = DetectionTypes.PortSweep,
            Protocol = FlowProtocol.Tcp,
            Port = 22,
            Scope = Scopes.Public,
        },
        Severity = severity,
        DistinctTargets = distinct,
        SampleTargets = ["198.51.100.7", "203.0.113.9", "192.0.2.44"],
        WindowStartMs = Raised.AddMinutes(-5).ToUnixTimeMilliseconds(),
        WindowEndMs = Raised.ToUnixTimeMilliseconds(),
        Threshold = 100,
        ThresholdReason = "static default",
        Mitre = ["T1046", "T1595.001"],
        FailedAttempts = 240,
    };

    public static Finding PortScan(string workload = "web-1") => PublicSweep(workload) with
    {
        Key = new AlertKey
        {
            Subject = AlertSubject.Workload(workload),
            Type = DetectionTypes.PortScan,
            Protocol = FlowProtocol.Tcp,
            Target = NetAddress.Parse("10.0.0.5"),
        },
        Severity = Severity.Medium,
        DistinctTargets = 120,
        SampleTargets = ["22", "23", "80", "443"],
        Threshold = 15,
        Mitre = ["T1046"],
    };

    public static Finding InScope(Finding sweep, string scope) => sweep with { Key = sweep.Key with { Scope = scope } };

    public static AlertRecord Alert(Finding d, int sequence = 1, int version = 1, DateTimeOffset? raised = null)
    {
        var at = raised ?? Raised;
        return new AlertRecord
        {
            Id = AlertIds.Format(AlertIds.GrainKey(d.Key), sequence),
            Fingerprint = d.Key.Fingerprint,
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

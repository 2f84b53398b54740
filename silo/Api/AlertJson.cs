using OrleansDetect.Grains.Alerts;

namespace OrleansDetect.Silo.Api;

/// <summary>An alert as the JSON API shows it.</summary>
public sealed record AlertJson(
    string Id,
    string Type,
    string Severity,
    string Workload,
    string Title,
    string Protocol,
    int Port,
    string Scope,
    int DistinctTargets,
    string[] SampleTargets,
    int FailedAttempts,
    int Threshold,
    string ThresholdReason,
    bool DuringLearning,
    string[] Mitre,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    DateTimeOffset RaisedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    int Updates,
    int Version,
    string Fingerprint,
    IReadOnlyDictionary<string, string>? Evidence)
{
    public static AlertJson From(AlertRecord a)
    {
        var e = a.Evidence;
        return new AlertJson(
            a.Id, e.Type, a.Severity.Name(), e.Workload, a.Title, e.Key.Protocol.Name(), e.Key.Port ?? 0, e.Key.TargetOrScope,
            e.DistinctTargets, e.SampleTargets, e.FailedAttempts, e.Threshold, e.ThresholdReason, e.DuringLearning, e.Mitre,
            a.FirstSeen, a.LastSeen, a.RaisedAt, a.UpdatedAt,
            DateTimeOffset.FromUnixTimeMilliseconds(e.WindowStartMs), DateTimeOffset.FromUnixTimeMilliseconds(e.WindowEndMs),
            a.Updates, a.Version, a.Fingerprint, e.Evidence);
    }
}

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
    IReadOnlyDictionary<string, string>? Evidence,
    string State,
    AlertActionJson? Acknowledged,
    AlertActionJson? Resolved,
    string? SilenceId,
    TimelinePointJson[] Timeline,
    string Subject,
    string? TraceId)
{
    /// <remarks>
    /// Text we did not write is made safe (<see cref="SafeText"/>): JSON escapes control characters itself, but an
    /// unpaired surrogate would make the writer fail the whole response.
    /// </remarks>
    public static AlertJson From(AlertRecord a)
    {
        var e = a.Evidence;
        return new AlertJson(
            a.Id, SafeText.Clean(e.Type), a.Severity.Name(), SafeText.Clean(e.Workload), SafeText.Clean(a.Title), e.Key.Protocol.Name(),
            e.Key.Port ?? 0, SafeText.Clean(e.Key.TargetOrScope),
            e.DistinctTargets, Array.ConvertAll(e.SampleTargets, SafeText.Clean), e.FailedAttempts, e.Threshold, SafeText.Clean(e.ThresholdReason),
            e.DuringLearning, e.Mitre,
            a.FirstSeen, a.LastSeen, a.RaisedAt, a.UpdatedAt,
            DateTimeOffset.FromUnixTimeMilliseconds(e.WindowStartMs), DateTimeOffset.FromUnixTimeMilliseconds(e.WindowEndMs),
            a.Updates, a.Version, SafeText.Clean(a.Fingerprint),
            e.Evidence?.ToDictionary(p => SafeText.Clean(p.Key), p => SafeText.Clean(p.Value)),
            a.State, AlertActionJson.From(a.Acknowledged), AlertActionJson.From(a.Resolved), a.SilenceId,
            Array.ConvertAll(a.Timeline ?? [], TimelinePointJson.From),
            e.Key.Subject.Kind == AlertSubjectKind.Workload ? "workload" : "fleet",
            a.TraceId);
    }
}

/// <summary>Who acknowledged or resolved an alert, when, and why.</summary>
public sealed record AlertActionJson(string By, DateTimeOffset At, string? Note)
{
    public static AlertActionJson? From(AlertAction? action) =>
        action is null ? null : new AlertActionJson(SafeText.Clean(action.By), action.At, action.Note is null ? null : SafeText.Clean(action.Note));
}

/// <summary>One point of an alert's timeline: the window's counts at a detection, by event time.</summary>
public sealed record TimelinePointJson(DateTimeOffset At, int DistinctTargets, int FailedAttempts)
{
    public static TimelinePointJson From(TimelinePoint point) =>
        new(DateTimeOffset.FromUnixTimeMilliseconds(point.EventTimeMs), point.DistinctTargets, point.FailedAttempts);
}

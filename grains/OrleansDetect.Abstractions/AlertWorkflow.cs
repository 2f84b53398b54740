namespace OrleansDetect;

/// <summary>Who did something to an alert, when, and why: the audit record of acknowledge and resolve.</summary>
[GenerateSerializer, Immutable]
public sealed record AlertAction
{
    [Id(0)] public required string By { get; init; }
    [Id(1)] public required DateTimeOffset At { get; init; }
    [Id(2)] public string? Note { get; init; }
}

/// <summary>One point of an alert's timeline: the window's counts at a detection, by event time.</summary>
[GenerateSerializer, Immutable]
public readonly record struct TimelinePoint(
    [property: Id(0)] long EventTimeMs,
    [property: Id(1)] int DistinctTargets,
    [property: Id(2)] int FailedAttempts);

/// <summary>An alert's workflow state, as the API, the console and the client spell it.</summary>
public static class AlertStates
{
    public const string Open = "open";
    public const string Acknowledged = "acknowledged";
    public const string Resolved = "resolved";
    public const string Silenced = "silenced";

    public static readonly string[] All = [Open, Acknowledged, Resolved, Silenced];

    /// <summary>Resolved wins over silenced, silenced over acknowledged.</summary>
    public static string Of(AlertRecord alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (alert.Resolved is not null) return Resolved;
        if (alert.SilenceId is not null) return Silenced;
        return alert.Acknowledged is not null ? Acknowledged : Open;
    }
}

/// <summary>What an acknowledge or resolve did.</summary>
public enum WorkflowStatus : byte
{
    /// <summary>Done: the alert's new version is persisted.</summary>
    Done = 0,

    /// <summary>No alert with that id.</summary>
    NotFound = 1,

    /// <summary>The alert is resolved already: a closed alert cannot be acknowledged or resolved again.</summary>
    Closed = 2,
}

/// <summary>The outcome of a workflow step and the alert as it now is.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkflowResult([property: Id(0)] WorkflowStatus Status, [property: Id(1)] AlertRecord? Alert);

namespace OrleansDetect;

/// <summary>
/// One detection: what a detector found in a workload's flows, as the alert grain owning its <see cref="Key"/>
/// receives it. Counts describe the window at the time of the finding.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record Finding
{
    [Id(0)] public required AlertKey Key { get; init; }
    [Id(1)] public required Severity Severity { get; init; }

    /// <summary>Distinct destinations (sweeps), ports (scans) or resolvers (encrypted DNS) in the window.</summary>
    [Id(2)] public required int DistinctTargets { get; init; }
    [Id(3)] public required string[] SampleTargets { get; init; }
    [Id(4)] public required long WindowStartMs { get; init; }
    [Id(5)] public required long WindowEndMs { get; init; }
    [Id(6)] public required int Threshold { get; init; }

    /// <summary>Why <see cref="Threshold"/> applied (static default, lateral-movement port, learned baseline).</summary>
    [Id(7)] public required string ThresholdReason { get; init; }
    [Id(8)] public required string[] Mitre { get; init; }

    /// <summary>Judged on static thresholds while the workload's baseline was still being learned.</summary>
    [Id(9)] public bool DuringLearning { get; init; }
    [Id(10)] public int FailedAttempts { get; init; }

    /// <summary>Extra evidence as name/value pairs (<see cref="EvidenceKeys"/>, baseline figures, …).</summary>
    [Id(11)] public Dictionary<string, string>? Evidence { get; init; }

    public string Type => Key.Type;

    /// <summary>The workload, or the fleet subject's text.</summary>
    public string Workload => Key.Subject.Name;

    /// <summary>True when a window's distinct count hit its memory cap, so <see cref="DistinctTargets"/> is "at least".</summary>
    public bool Saturated => Evidence?.GetValueOrDefault(EvidenceKeys.Saturated) is { } value &&
                             string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Evidence names with meaning beyond display.</summary>
public static class EvidenceKeys
{
    /// <summary>"true" when a window's distinct-target count hit its cap, so the count is a lower bound.</summary>
    public const string Saturated = "saturated";

    /// <summary>The resolver an encrypted-DNS detection is about.</summary>
    public const string Resolver = "resolver";

    /// <summary>Why an encrypted-DNS detection fired (e.g. "resolver not in baseline").</summary>
    public const string Reason = "reason";
}

using System.Globalization;

namespace OrleansDetect;

/// <summary>
/// One detection: what a detector found in a workload's flows, as the alert grain owning its <see cref="Key"/>
/// receives it. Counts describe the window at the time of the finding.
/// </summary>
/// <remarks>
/// Alerts persist their latest finding, so field ids keep the meaning they had when this type was the detection
/// report of release 0.1: ids 2 and 6–15 are unchanged, the key is id 16, and the key's parts that 0.1 stored as
/// separate fields (ids 0, 1, 3, 4, 5) are read, never written, to rebuild the key of an alert stored then.
/// </remarks>
[GenerateSerializer, Immutable]
public sealed record Finding
{
    [Id(16)] private AlertKey? _key;

#pragma warning disable CS0649 // Assigned by the deserializer only.
    [Id(0)] private string? _v1Workload;
    [Id(1)] private string? _v1Type;
    [Id(3)] private FlowProtocol _v1Protocol;
    [Id(4)] private int _v1Port;
    [Id(5)] private string? _v1Scope;
#pragma warning restore CS0649

    public required AlertKey Key
    {
        get => _key ??= KeyStoredByVersion1();
        init => _key = value;
    }

    [Id(2)] public required Severity Severity { get; init; }

    /// <summary>Distinct destinations (sweeps), ports (scans) or resolvers (encrypted DNS) in the window.</summary>
    [Id(6)] public required int DistinctTargets { get; init; }
    [Id(7)] public required string[] SampleTargets { get; init; }
    [Id(8)] public required long WindowStartMs { get; init; }
    [Id(9)] public required long WindowEndMs { get; init; }
    [Id(10)] public required int Threshold { get; init; }

    /// <summary>Why <see cref="Threshold"/> applied (static default, lateral-movement port, learned baseline).</summary>
    [Id(11)] public required string ThresholdReason { get; init; }
    [Id(12)] public required string[] Mitre { get; init; }

    /// <summary>Judged on static thresholds while the workload's baseline was still being learned.</summary>
    [Id(13)] public bool DuringLearning { get; init; }
    [Id(14)] public int FailedAttempts { get; init; }

    /// <summary>Extra evidence as name/value pairs (<see cref="EvidenceKeys"/>, baseline figures, …).</summary>
    [Id(15)] public Dictionary<string, string>? Evidence { get; init; }

    /// <summary>The alerts this finding links (a recon chain's sweep and scans, a fleet sweep's workloads' sweeps), by key.</summary>
    [Id(30)] public AlertKey[]? Related { get; init; }

    /// <summary>The ids of <see cref="Related"/>'s current alerts, as the alert grains answered when this was reported.</summary>
    [Id(31)] public string[]? RelatedAlertIds { get; init; }

    public string Type => Key.Type;

    /// <summary>The workload, or the fleet subject's text.</summary>
    public string Workload => Key.Subject.Name;

    /// <summary>True when a window's distinct count hit its memory cap, so <see cref="DistinctTargets"/> is "at least".</summary>
    public bool Saturated => Evidence?.GetValueOrDefault(EvidenceKeys.Saturated) is { } value &&
                             string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Release 0.1 stored a workload, a type, a protocol and port, and a scope that was the scanned host or resolver when not a sweep's scope.</summary>
    private AlertKey KeyStoredByVersion1()
    {
        var type = _v1Type ?? throw new InvalidOperationException("a finding without an alert key");
        var target = NetAddress.TryParse(_v1Scope, out var address) ? address : (NetAddress?)null;
        return new AlertKey
        {
            Subject = AlertSubject.Workload(_v1Workload ?? ""),
            Type = type,
            Protocol = _v1Protocol,
            Port = type == DetectionTypes.PortScan ? null : _v1Port,
            Target = target,
            Scope = target is null ? _v1Scope : null,
        };
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Finding {{ Key = {Key.Fingerprint}, Severity = {Severity}, DistinctTargets = {DistinctTargets} }}");
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

    /// <summary>"1 in N" when the window counted flows an exporter sampled: the counts are a lower bound.</summary>
    public const string Sampled = "sampled";
}

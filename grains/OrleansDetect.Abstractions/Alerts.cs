namespace OrleansDetect;

/// <summary>How urgent an alert is; ordered so that a larger value is an escalation.</summary>
public enum Severity : byte
{
    Low = 1,
    Medium = 2,
    High = 3,
}

/// <summary>Names of detection types, as they appear in alerts, the RSS <c>category</c> and configuration.</summary>
public static class DetectionTypes
{
    public const string PortSweep = "port-sweep";
    public const string PortScan = "port-scan";
    public const string UnusualEncryptedDns = "unusual-encrypted-dns";
}

/// <summary>Where a sweep's targets live.</summary>
public static class Scopes
{
    public const string Public = "public";
    public const string Internal = "internal";
}

/// <summary>
/// One finding of a workload's detectors, sent from the workload grain to the alert grain that owns its
/// fingerprint. Counts describe the window at the time of the finding.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record DetectionReport
{
    [Id(0)] public required string Workload { get; init; }
    [Id(1)] public required string Type { get; init; }
    [Id(2)] public required Severity Severity { get; init; }
    [Id(3)] public required FlowProtocol Protocol { get; init; }
    [Id(4)] public required int Port { get; init; }
    /// <summary><see cref="Scopes.Public"/> or <see cref="Scopes.Internal"/> for sweeps; the target address for scans.</summary>
    [Id(5)] public required string Scope { get; init; }
    [Id(6)] public required int DistinctTargets { get; init; }
    [Id(7)] public required string[] SampleTargets { get; init; }
    [Id(8)] public required long WindowStartMs { get; init; }
    [Id(9)] public required long WindowEndMs { get; init; }
    [Id(10)] public required int Threshold { get; init; }
    /// <summary>Why <see cref="Threshold"/> applied (static default, lateral-movement port, learned baseline).</summary>
    [Id(11)] public required string ThresholdReason { get; init; }
    [Id(12)] public required string[] Mitre { get; init; }
    [Id(13)] public bool DuringLearning { get; init; }
    [Id(14)] public int FailedAttempts { get; init; }
    /// <summary>Extra evidence as name/value pairs (resolver, baseline figures, …).</summary>
    [Id(15)] public Dictionary<string, string>? Evidence { get; init; }

    /// <summary>Identifies "the same alert": one open alert per (workload, type, port/target, scope).</summary>
    public string Fingerprint => $"{Workload}|{Type}|{ProtocolName(Protocol)}/{Port}|{Scope}";

    public static string ProtocolName(FlowProtocol protocol) => protocol switch
    {
        FlowProtocol.Tcp => "tcp",
        FlowProtocol.Udp => "udp",
        FlowProtocol.Icmp => "icmp",
        _ => ((int)protocol).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>An alert as users see it: in the API, the RSS feed and Slack.</summary>
[GenerateSerializer, Immutable]
public sealed record AlertRecord
{
    /// <summary>Stable id: the fingerprint's hash, a dash, and the how-many-th alert of that fingerprint.</summary>
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Fingerprint { get; init; }
    [Id(2)] public required string Title { get; init; }
    [Id(3)] public required Severity Severity { get; init; }
    [Id(4)] public required DateTimeOffset FirstSeen { get; init; }
    [Id(5)] public required DateTimeOffset LastSeen { get; init; }
    /// <summary>Wall-clock time the alert was opened (RSS <c>pubDate</c>).</summary>
    [Id(6)] public required DateTimeOffset RaisedAt { get; init; }
    [Id(7)] public required DateTimeOffset UpdatedAt { get; init; }
    /// <summary>Detections merged into this alert.</summary>
    [Id(8)] public required int Updates { get; init; }
    /// <summary>Bumped on every change; sinks acknowledge the version they delivered.</summary>
    [Id(9)] public required int Version { get; init; }
    /// <summary>The latest evidence (targets accumulate across updates).</summary>
    [Id(10)] public required DetectionReport Evidence { get; init; }

    public string Type => Evidence.Type;
    public string Workload => Evidence.Workload;
}

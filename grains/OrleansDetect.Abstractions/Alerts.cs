namespace OrleansDetect;

/// <summary>Names of detection types, as they appear in alerts, the RSS <c>category</c> and configuration.</summary>
public static class DetectionTypes
{
    public const string PortSweep = "port-sweep";
    public const string PortScan = "port-scan";
    public const string UnusualEncryptedDns = "unusual-encrypted-dns";

    /// <summary>A workload's failed probes outgrew what its windows track: entries were dropped, evasion suspected.</summary>
    public const string TrackingCapacity = "tracking-capacity";

    /// <summary>A sweep too spread out for the windows, caught by the idle-expiry tracker (<c>Detection:Slow</c>).</summary>
    public const string SlowPortSweep = "slow-port-sweep";

    /// <summary>A port scan too spread out for the window, caught by the idle-expiry tracker.</summary>
    public const string SlowPortScan = "slow-port-scan";

    /// <summary>A sweep followed by a port scan of hosts that answered it (one workload).</summary>
    public const string ReconChain = "recon-chain";

    /// <summary>Several workloads sweeping the same protocol/port within one window (subject: the port).</summary>
    public const string FleetSweep = "fleet-sweep";

    /// <summary>Several workloads each probing a few ports of one destination that add up to a port scan (subject: the destination).</summary>
    public const string DistributedScan = "distributed-scan";

    /// <summary>One workload's many sweeps and scans (masscan) folded into one growing incident.</summary>
    public const string ReconIncident = "recon-incident";
}

/// <summary>Where a sweep's targets live, as alert keys spell it.</summary>
public static class Scopes
{
    public const string Public = "public";
    public const string Internal = "internal";

    /// <summary>The scope of an encrypted-DNS volume alert's key: about the protocol's volume, not one resolver.</summary>
    public const string Volume = "volume";
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
    [Id(10)] public required Finding Evidence { get; init; }

    /// <summary>Who acknowledged it: it still escalates, and says it was acknowledged.</summary>
    [Id(20)] public AlertAction? Acknowledged { get; init; }

    /// <summary>Who resolved (closed) it: the key's next detection opens a new alert.</summary>
    [Id(21)] public AlertAction? Resolved { get; init; }

    /// <summary>The silence that matched its latest update: it notifies no one and stays out of RSS.</summary>
    [Id(22)] public string? SilenceId { get; init; }

    /// <summary>The window's counts at each detection, by event time, bounded (the console's timeline plot).</summary>
    [Id(23)] public TimelinePoint[]? Timeline { get; init; }

    /// <summary>The trace of the detection that opened or last escalated it, when tracing is on (W3C trace id, hex).</summary>
    [Id(24)] public string? TraceId { get; init; }

    public string Type => Evidence.Type;
    public string Workload => Evidence.Workload;

    /// <summary>One of <see cref="AlertStates"/>.</summary>
    public string State => AlertStates.Of(this);
}

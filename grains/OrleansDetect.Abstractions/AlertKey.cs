using System.Globalization;

namespace OrleansDetect;

/// <summary>Whom an alert is about.</summary>
public enum AlertSubjectKind : byte
{
    /// <summary>One monitored workload (its id is the subject's name).</summary>
    Workload = 1,

    /// <summary>A group across the fleet, such as one port swept from many workloads.</summary>
    Fleet = 2,
}

/// <summary>Whom an alert is about: a workload, or a fleet-wide group.</summary>
[GenerateSerializer, Immutable]
public readonly record struct AlertSubject([property: Id(0)] AlertSubjectKind Kind, [property: Id(1)] string Name)
{
    public static AlertSubject Workload(string workload) => new(AlertSubjectKind.Workload, workload);

    public static AlertSubject Fleet(string group) => new(AlertSubjectKind.Fleet, group);

    public override string ToString() => Kind == AlertSubjectKind.Workload ? Name : $"fleet:{Name}";
}

/// <summary>
/// What makes two detections "the same alert": the subject, the detection type, the protocol and port, and what
/// the detection counts within them — a sweep's target <see cref="Scope"/>, a scan's or resolver's <see cref="Target"/>.
/// </summary>
/// <remarks>
/// Alert ids derive from <see cref="Fingerprint"/> (<see cref="AlertIds"/>), so its text is frozen:
/// <c>{subject}|{type}|{protocol}/{port}|{target or scope}</c>, where a workload subject is its id, a fleet subject
/// <c>fleet:{group}</c>, and a detection spanning ports (a scan) writes port 0. Changing it would give every open
/// alert a new id.
/// </remarks>
[GenerateSerializer, Immutable]
public sealed record AlertKey
{
    [Id(0)] public required AlertSubject Subject { get; init; }

    /// <summary>One of <see cref="DetectionTypes"/>.</summary>
    [Id(1)] public required string Type { get; init; }
    [Id(2)] public required FlowProtocol Protocol { get; init; }

    /// <summary>The port the detection is about; null when it spans ports (a port scan).</summary>
    [Id(3)] public int? Port { get; init; }

    /// <summary>The one address the detection is about (the scanned host, the resolver); null for sweeps and volumes.</summary>
    [Id(4)] public NetAddress? Target { get; init; }

    /// <summary>Without a target: <see cref="Scopes.Public"/>/<see cref="Scopes.Internal"/> for sweeps, <see cref="Scopes.Volume"/> for encrypted-DNS volume.</summary>
    [Id(5)] public string? Scope { get; init; }

    /// <summary>The workload, when the subject is one.</summary>
    public string? Workload => Subject.Kind == AlertSubjectKind.Workload ? Subject.Name : null;

    /// <summary>"tcp/22"; a detection spanning ports (a scan) keeps the historical "tcp/0".</summary>
    public string PortLabel => string.Create(CultureInfo.InvariantCulture, $"{Protocol.Name()}/{Port ?? 0}");

    /// <summary>The target address, or the scope, as text.</summary>
    public string TargetOrScope => Target?.ToString() ?? Scope ?? "";

    public string Fingerprint => string.Create(CultureInfo.InvariantCulture, $"{Subject}|{Type}|{PortLabel}|{TargetOrScope}");
}

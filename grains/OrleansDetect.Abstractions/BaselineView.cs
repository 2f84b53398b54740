namespace OrleansDetect;

/// <summary>A workload's learned baseline, as the workloads API shows it.</summary>
[GenerateSerializer, Immutable]
public sealed record BaselineView
{
    /// <summary>"learning" or "learned".</summary>
    [Id(0)] public required string Status { get; init; }
    [Id(1)] public DateTimeOffset? LearningSince { get; init; }
    /// <summary>When learning ends at the earliest (event time), while learning.</summary>
    [Id(2)] public DateTimeOffset? LearningUntil { get; init; }
    [Id(3)] public DateTimeOffset? LearnedAt { get; init; }
    [Id(4)] public required int ActiveWindows { get; init; }
    [Id(5)] public required double WindowSeconds { get; init; }
    [Id(6)] public required ResolverView[] Resolvers { get; init; }
    [Id(7)] public required long ResolversForgotten { get; init; }
    [Id(8)] public required EncryptedDnsVolumeView[] EncryptedDnsVolumes { get; init; }
    [Id(9)] public required FanOutView[] FanOut { get; init; }
    [Id(10)] public required long PortsForgotten { get; init; }
}

/// <summary>One encrypted-DNS resolver the workload used.</summary>
[GenerateSerializer, Immutable]
public sealed record ResolverView
{
    [Id(0)] public required string Address { get; init; }
    /// <summary>"dot", "doq" or "doh".</summary>
    [Id(1)] public required string Protocol { get; init; }
    /// <summary>The well-known or configured resolver's name; null when it is not a known one.</summary>
    [Id(2)] public string? KnownAs { get; init; }
    [Id(3)] public required DateTimeOffset FirstSeen { get; init; }
    [Id(4)] public required DateTimeOffset LastSeen { get; init; }
    [Id(5)] public required long Connections { get; init; }
    [Id(6)] public required long Bytes { get; init; }
    /// <summary>Part of the baseline (false: seen after learning and alerted, not yet trusted).</summary>
    [Id(7)] public required bool InBaseline { get; init; }
}

/// <summary>One encrypted-DNS protocol's volume per window: learned figures and the current window.</summary>
[GenerateSerializer, Immutable]
public sealed record EncryptedDnsVolumeView
{
    [Id(0)] public required string Protocol { get; init; }
    [Id(1)] public required int Windows { get; init; }
    [Id(2)] public required double MeanConnections { get; init; }
    [Id(3)] public required double HighConnections { get; init; }
    [Id(4)] public required double MeanBytes { get; init; }
    [Id(5)] public required double HighBytes { get; init; }
    [Id(6)] public required int CurrentConnections { get; init; }
    [Id(7)] public required long CurrentBytes { get; init; }
    /// <summary>A window above this many connections alerts (once learned).</summary>
    [Id(8)] public required int ConnectionThreshold { get; init; }
}

/// <summary>A port's usual distinct failed destinations per window, and the sweep threshold it earns.</summary>
[GenerateSerializer, Immutable]
public sealed record FanOutView
{
    [Id(0)] public required string Protocol { get; init; }
    [Id(1)] public required int Port { get; init; }
    [Id(2)] public required string Scope { get; init; }
    [Id(3)] public required int Windows { get; init; }
    [Id(4)] public required double Mean { get; init; }
    [Id(5)] public required double High { get; init; }
    [Id(6)] public required int CurrentPeak { get; init; }
    /// <summary>max(static, this) is the port's sweep threshold; 0 while learning or when nothing was learned.</summary>
    [Id(7)] public required int LearnedThreshold { get; init; }
}

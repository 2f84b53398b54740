namespace OrleansDetect;

/// <summary>A workload as the hosts API shows it.</summary>
[GenerateSerializer, Immutable]
public sealed record HostView
{
    [Id(0)] public required string Workload { get; init; }
    [Id(1)] public required long EventsSeen { get; init; }
    [Id(2)] public required long LateEvents { get; init; }
    [Id(3)] public DateTimeOffset? FirstEventTime { get; init; }
    [Id(4)] public DateTimeOffset? LastEventTime { get; init; }
    [Id(5)] public required PortWindowView[] SweepWindows { get; init; }
    [Id(6)] public required long SuppressedDetections { get; init; }
    /// <summary>Flows towards the workload's own address (e.g. scanners hitting it), not counted as its probes.</summary>
    [Id(7)] public long InboundEvents { get; init; }
}

/// <summary>One port's sweep window for one scope.</summary>
[GenerateSerializer, Immutable]
public sealed record PortWindowView(
    [property: Id(0)] string Protocol,
    [property: Id(1)] int Port,
    [property: Id(2)] string Scope,
    [property: Id(3)] int DistinctTargets,
    [property: Id(4)] int Threshold);

namespace OrleansDetect;

/// <summary>A workload as the workloads API shows it.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkloadView
{
    [Id(0)] public required string Workload { get; init; }
    [Id(1)] public required long EventsSeen { get; init; }
    [Id(2)] public required long LateEvents { get; init; }
    [Id(3)] public DateTimeOffset? FirstEventTime { get; init; }
    [Id(4)] public DateTimeOffset? LastEventTime { get; init; }
    [Id(5)] public required PortWindowView[] SweepWindows { get; init; }
    /// <summary>Detections that matched a suppression rule instead of alerting (all rules).</summary>
    [Id(6)] public required long SuppressedDetections { get; init; }
    /// <summary>Events stamped too far ahead of the silo's clock (<c>Detection:MaxClockSkew</c>), rejected so they cannot move the workload's clock.</summary>
    [Id(7)] public long FutureEvents { get; init; }
    [Id(8)] public BaselineView? Baseline { get; init; }
    [Id(9)] public SuppressionCount[] SuppressedByRule { get; init; } = [];
    /// <summary>Flows towards the workload's own address (e.g. scanners hitting it), not counted as its probes.</summary>
    [Id(10)] public long InboundEvents { get; init; }
}

/// <summary>How many detections one suppression rule swallowed.</summary>
[GenerateSerializer, Immutable]
public sealed record SuppressionCount(
    [property: Id(0)] int Rule,
    [property: Id(1)] string Reason,
    [property: Id(2)] long Count);

/// <summary>One port's sweep window for one scope.</summary>
[GenerateSerializer, Immutable]
public sealed record PortWindowView(
    [property: Id(0)] string Protocol,
    [property: Id(1)] int Port,
    [property: Id(2)] string Scope,
    [property: Id(3)] int DistinctTargets,
    [property: Id(4)] int Threshold);

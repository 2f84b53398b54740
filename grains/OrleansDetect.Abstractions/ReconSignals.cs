namespace OrleansDetect;

/// <summary>A workload's own sweep finding, forwarded for fleet-wide correlation (no raw events).</summary>
[GenerateSerializer, Immutable]
public readonly record struct SweepSignal(
    [property: Id(0)] AlertKey SweepKey,
    [property: Id(1)] Severity Severity,
    [property: Id(2)] int DistinctTargets,
    [property: Id(3)] long WindowEndMs);

/// <summary>A failed (destination, port) probe, deduplicated per batch, forwarded for distributed-scan correlation.</summary>
[GenerateSerializer, Immutable]
public readonly record struct ProbeSignal(
    [property: Id(0)] NetAddress Dst,
    [property: Id(1)] FlowProtocol Protocol,
    [property: Id(2)] ushort Port,
    [property: Id(3)] long TimeMs);

/// <summary>What one workload batch forwards: its sweep findings and failed probes, stamped with the workload's clock.</summary>
[GenerateSerializer, Immutable]
public sealed record ReconSignals(
    [property: Id(0)] string Workload,
    [property: Id(1)] long WatermarkMs,
    [property: Id(2)] SweepSignal[] Sweeps,
    [property: Id(3)] ProbeSignal[] Probes);

/// <summary>Signals of many workloads for one fleet grain, as the per-silo aggregator flushes them.</summary>
[GenerateSerializer, Immutable]
public sealed record FleetSignalBatch<T>(
    [property: Id(0)] string[] Workloads,
    [property: Id(1)] long[] WatermarksMs,
    [property: Id(2)] int[] WorkloadIndex,
    [property: Id(3)] T[] Signals);

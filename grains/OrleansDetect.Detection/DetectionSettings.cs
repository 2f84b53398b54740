namespace OrleansDetect.Detection;

/// <summary>
/// Everything a workload's detection is built from: the validated <c>Detection:*</c> options and the lookups
/// every workload shares. One per silo; <see cref="WorkloadDetection"/> instances only read it.
/// </summary>
public sealed record DetectionSettings
{
    public PortSweepOptions Sweep { get; init; } = new();

    public PortScanOptions Scan { get; init; } = new();

    public SlowProbeOptions Slow { get; init; } = new();

    public ReconChainOptions ReconChain { get; init; } = new();

    public FleetOptions Fleet { get; init; } = new();

    public IncidentOptions Incident { get; init; } = new();

    public BaselineOptions Baseline { get; init; } = new();

    public EncryptedDnsOptions EncryptedDns { get; init; } = new();

    public EventClockOptions Clock { get; init; } = new();

    public CheckpointOptions Checkpoint { get; init; } = new();

    public NetworkScope Scope { get; init; } = NetworkScope.Default;

    public KnownResolvers Resolvers { get; init; } = KnownResolvers.Shipped;

    public SuppressionRules Suppression { get; init; } = SuppressionRules.None;
}

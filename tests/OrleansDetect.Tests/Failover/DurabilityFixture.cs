namespace OrleansDetect.Tests.Failover;

/// <summary>
/// Three silo processes on their own Redis, with the shipped baseline write interval (30 s) and windows
/// checkpointed every <see cref="CheckpointInterval"/>: what a kill costs is then the checkpoint's doing alone. Its
/// tests may also wipe Redis, so they share no cluster with the other failover tests.
/// </summary>
public sealed class DurabilityFixture : ScaleOutFixture
{
    public static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(1);

    protected override IEnumerable<string> ExtraSettings() =>
    [
        "Detection__Baseline__WriteInterval=00:00:30",
        $"Detection__CheckpointInterval={CheckpointInterval}",
    ];
}

[CollectionDefinition(Name)]
public sealed class DurabilityCollection : ICollectionFixture<DurabilityFixture>
{
    public const string Name = "durability";
}

namespace OrleansDetect.Detectors;

/// <summary>
/// A workload's baseline as stored. The Orleans binary serializer keys fields by <c>[Id]</c> and the types by
/// their <c>[Alias]</c>, never by .NET name, so classes can be renamed and fields added without orphaning
/// stored baselines: an absent field reads as its default. Ids are never reused or renumbered.
/// </summary>
/// <remarks>
/// Version history: 1 = learning clock, resolvers, encrypted-DNS volumes; 2 = per-port sweep fan-out and
/// eviction counters. <see cref="WorkloadBaseline.Restore"/> accepts every version up to the current one.
/// </remarks>
[GenerateSerializer, Alias("orleansdetect.baseline")]
public sealed class BaselineState
{
    public const int CurrentVersion = 2;

    [Id(0)] public int Version { get; set; }
    [Id(1)] public long LearningStartMs { get; set; } = long.MinValue;
    [Id(2)] public long LearnedAtMs { get; set; } = long.MinValue;
    [Id(3)] public int ActiveWindows { get; set; }
    [Id(4)] public long WindowIndex { get; set; } = long.MinValue;
    [Id(5)] public long EventsSeen { get; set; }
    [Id(6)] public ResolverRecord[] Resolvers { get; set; } = [];
    [Id(7)] public VolumeRecord[] Volumes { get; set; } = [];
    [Id(8)] public FanOutRecord[] FanOut { get; set; } = [];
    [Id(9)] public long ResolversEvicted { get; set; }
    [Id(10)] public long PortsEvicted { get; set; }
    [Id(11)] public long FirstEventMs { get; set; } = long.MinValue;
    [Id(12)] public long LastEventMs { get; set; } = long.MinValue;
}

[GenerateSerializer, Alias("orleansdetect.baseline.resolver")]
public sealed class ResolverRecord
{
    [Id(0)] public NetAddress Address { get; set; }
    [Id(1)] public EncryptedDnsProtocol Protocol { get; set; }
    [Id(2)] public long FirstSeenMs { get; set; }
    [Id(3)] public long LastSeenMs { get; set; }
    [Id(4)] public long Connections { get; set; }
    [Id(5)] public long Bytes { get; set; }
    [Id(6)] public bool Learned { get; set; }
}

[GenerateSerializer, Alias("orleansdetect.baseline.volume")]
public sealed class VolumeRecord
{
    [Id(0)] public EncryptedDnsProtocol Protocol { get; set; }
    [Id(1)] public RunningEstimate Connections { get; set; }
    [Id(2)] public RunningEstimate Bytes { get; set; }
}

[GenerateSerializer, Alias("orleansdetect.baseline.fanout")]
public sealed class FanOutRecord
{
    [Id(0)] public FlowProtocol Protocol { get; set; }
    [Id(1)] public int Port { get; set; }
    [Id(2)] public TargetScope Scope { get; set; }
    [Id(3)] public RunningEstimate DistinctFailed { get; set; }
}

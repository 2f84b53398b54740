using OrleansDetect.Detection;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// A workload's baseline as stored. The Orleans binary serializer keys fields by <c>[Id]</c> and the types by
/// their <c>[Alias]</c>, never by .NET name, so classes can be renamed and fields added without orphaning
/// stored baselines: an absent field reads as its default. Ids are never reused or renumbered. The detection
/// code knows nothing of this form: <see cref="From"/> and <see cref="ToSnapshot"/> map it.
/// </summary>
/// <remarks>
/// Version history: 1 = learning clock, resolvers, encrypted-DNS volumes; 2 = per-port sweep fan-out and
/// eviction counters. <see cref="ToSnapshot"/> accepts every version up to the current one.
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

    public static BaselineState From(WorkloadSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var b = snapshot.Baseline;
        return new BaselineState
        {
            Version = CurrentVersion,
            LearningStartMs = b.LearningStartMs,
            LearnedAtMs = b.LearnedAtMs,
            ActiveWindows = b.ActiveWindows,
            WindowIndex = b.WindowIndex,
            EventsSeen = snapshot.EventsSeen,
            FirstEventMs = snapshot.FirstEventMs,
            LastEventMs = snapshot.LastEventMs,
            ResolversEvicted = b.ResolversEvicted,
            PortsEvicted = b.PortsEvicted,
            Resolvers = [.. b.Resolvers.Select(r => new ResolverRecord
            {
                Address = r.Address,
                Protocol = r.Protocol,
                FirstSeenMs = r.Stats.FirstSeenMs,
                LastSeenMs = r.Stats.LastSeenMs,
                Connections = r.Stats.Connections,
                Bytes = r.Stats.Bytes,
                Learned = r.Stats.Learned,
            })],
            Volumes = [.. b.Volumes.Select(v => new VolumeRecord
            {
                Protocol = v.Protocol,
                Connections = StoredEstimate.From(v.Volume.Connections),
                Bytes = StoredEstimate.From(v.Volume.Bytes),
            })],
            FanOut = [.. b.FanOut.Select(f => new FanOutRecord
            {
                Protocol = f.Key.Protocol,
                Port = f.Key.Port,
                Scope = f.Key.Scope,
                DistinctFailed = StoredEstimate.From(f.DistinctFailed),
            })],
        };
    }

    /// <summary>The detection's view of a stored baseline of any version up to the current one; fields a version lacks start empty.</summary>
    public WorkloadSnapshot ToSnapshot()
    {
        if (Version > CurrentVersion)
        {
            throw new NotSupportedException($"baseline version {Version} is newer than this silo understands ({CurrentVersion})");
        }

        return new WorkloadSnapshot
        {
            EventsSeen = EventsSeen,
            FirstEventMs = FirstEventMs,
            LastEventMs = LastEventMs,
            Baseline = new BaselineSnapshot
            {
                LearningStartMs = LearningStartMs,
                LearnedAtMs = LearnedAtMs,
                ActiveWindows = ActiveWindows,
                WindowIndex = WindowIndex,
                ResolversEvicted = ResolversEvicted,
                PortsEvicted = PortsEvicted,
                Resolvers = [.. (Resolvers ?? []).Select(r => new ResolverSnapshot(r.Address, r.Protocol, new ResolverStats
                {
                    FirstSeenMs = r.FirstSeenMs,
                    LastSeenMs = r.LastSeenMs,
                    Connections = r.Connections,
                    Bytes = r.Bytes,
                    Learned = r.Learned,
                }))],
                Volumes = [.. (Volumes ?? []).Select(v => (v.Protocol, new VolumeEstimate(v.Connections.ToEstimate(), v.Bytes.ToEstimate())))],
                FanOut = [.. (FanOut ?? []).Select(f => (new PortKey(f.Protocol, f.Port, f.Scope), f.DistinctFailed.ToEstimate()))],
            },
        };
    }
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
    [Id(1)] public StoredEstimate Connections { get; set; }
    [Id(2)] public StoredEstimate Bytes { get; set; }
}

[GenerateSerializer, Alias("orleansdetect.baseline.fanout")]
public sealed class FanOutRecord
{
    [Id(0)] public FlowProtocol Protocol { get; set; }
    [Id(1)] public int Port { get; set; }
    [Id(2)] public TargetScope Scope { get; set; }
    [Id(3)] public StoredEstimate DistinctFailed { get; set; }
}

/// <summary>A stored <see cref="RunningEstimate"/> (the alias it has always had, so old baselines read unchanged).</summary>
[GenerateSerializer, Alias("orleansdetect.baseline.estimate")]
public record struct StoredEstimate
{
    [Id(0)] public int Windows { get; set; }
    [Id(1)] public double Mean { get; set; }
    [Id(2)] public double Variance { get; set; }

    public static StoredEstimate From(RunningEstimate e) => new() { Windows = e.Windows, Mean = e.Mean, Variance = e.Variance };

    public readonly RunningEstimate ToEstimate() => new() { Windows = Windows, Mean = Mean, Variance = Variance };
}

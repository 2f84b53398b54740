namespace OrleansDetect;

/// <summary>A known workload as the registry lists it.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkloadEntry
{
    [Id(0)] public required string Workload { get; init; }

    /// <summary>Its baseline is learned (false while still learning).</summary>
    [Id(1)] public required bool Learned { get; init; }

    /// <summary>Wall-clock time it first registered.</summary>
    [Id(2)] public required DateTimeOffset RegisteredAt { get; init; }
}

/// <summary>
/// One bucket of the list of known workloads (<see cref="WorkloadRegistry.Buckets"/> of them, keyed by bucket number).
/// Workload grains register on their first ingest after activation; the workloads API lists and checks through it, so
/// an unknown workload is answered without activating its grain.
/// </summary>
public interface IWorkloadRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Adds the workload or updates its learning state.</summary>
    Task Register(string workload, bool learned);

    /// <summary>True when the workload has registered.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<bool> Contains(string workload);

    /// <summary>
    /// Up to <paramref name="limit"/> entries in ordinal name order after <paramref name="after"/>, whose names start with
    /// <paramref name="prefix"/> and, when <paramref name="learned"/> is given, whose learning state is that.
    /// </summary>
    [Orleans.Concurrency.ReadOnly]
    Task<WorkloadEntry[]> List(string? prefix, bool? learned, string? after, int limit);

    /// <summary>How many workloads this bucket holds.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<int> Count();
}

/// <summary>Which registry bucket holds a workload.</summary>
public static class WorkloadRegistry
{
    /// <summary>
    /// Buckets: 1,000,000 workloads are ~16,000 a bucket, so a bucket's write and a page's fan-out stay small. Frozen:
    /// changing it moves workloads to buckets that do not hold them.
    /// </summary>
    public const int Buckets = 64;

    /// <summary>FNV-1a over the name's UTF-16 code units: stable across processes and releases (string.GetHashCode is not).</summary>
    public static int BucketOf(string workload)
    {
        ArgumentNullException.ThrowIfNull(workload);
        var hash = 2166136261u;
        foreach (var c in workload)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % Buckets);
    }

    public static IWorkloadRegistryGrain For(IGrainFactory grains, string workload)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return grains.GetGrain<IWorkloadRegistryGrain>(BucketOf(workload));
    }
}

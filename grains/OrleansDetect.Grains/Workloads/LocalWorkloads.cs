using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// The workload activations that live in this silo, by workload name: the silo's <see cref="WorkloadCallQueue"/> feeds
/// their events to them in process (<see cref="WorkloadGrain.TryObserveHere"/>) instead of a grain call per workload,
/// which cost ~11 µs of CPU a call and set the ingest rate once a batch spread over thousands of workloads. An
/// activation is listed from the end of its activation to the start of its deactivation; the grain still owns its
/// state, timers and writes, and a workload that is not listed here (not yet active, or on another silo) gets a grain call.
/// </summary>
public sealed class LocalWorkloads(IOptions<GrainCollectionOptions> collection)
{
    private readonly ConcurrentDictionary<string, WorkloadGrain> _active = new(StringComparer.Ordinal);

    /// <summary>
    /// How long a listed activation may go on events fed in process before one is fed by a grain call: Orleans counts
    /// only calls as activity, and would otherwise collect a busy workload as idle. A quarter of its collection age.
    /// </summary>
    public TimeSpan KeepAliveEvery { get; } =
        (collection.Value.ClassSpecificCollectionAge.TryGetValue(typeof(WorkloadGrain).FullName!, out var age) ? age : collection.Value.CollectionAge) / 4;

    /// <summary>Workload activations listed on this silo.</summary>
    public int Count => _active.Count;

    /// <summary>Whether <paramref name="workload"/>'s activation on this silo is fed in process.</summary>
    public bool Contains(string workload) => _active.ContainsKey(workload);

    internal void Add(string workload, WorkloadGrain grain) => _active[workload] = grain;

    /// <summary>Unlists <paramref name="grain"/>; a newer activation of the same workload stays listed.</summary>
    internal void Remove(string workload, WorkloadGrain grain) => _active.TryRemove(KeyValuePair.Create(workload, grain));

    internal bool TryGet(string workload, [NotNullWhen(true)] out WorkloadGrain? grain) => _active.TryGetValue(workload, out grain);
}

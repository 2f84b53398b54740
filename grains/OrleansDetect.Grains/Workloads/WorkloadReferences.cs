using Orleans.Metadata;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// References to workload grains without Orleans' per-call reflection: <c>GetGrain&lt;IWorkloadGrain&gt;(key)</c>
/// resolves the interface's grain interface type from its custom attributes on every call, which cost about 8 % of a
/// silo's CPU when a batch spread over 10,000 workloads made a call per event. The interface and grain types are
/// resolved once; a reference is then an id and a proxy.
/// </summary>
public sealed class WorkloadReferences(IGrainFactory grains, GrainInterfaceTypeResolver interfaces, GrainInterfaceTypeToGrainTypeResolver types)
{
    private readonly Lazy<(GrainInterfaceType Interface, GrainType Grain)> _types = new(() =>
    {
        // Resolved on first use: the grain type comes from the cluster manifest, which is ready once the silo runs.
        var workload = interfaces.GetGrainInterfaceType(typeof(IWorkloadGrain));
        return (workload, types.GetGrainType(workload));
    });

    public IWorkloadGrain For(string workload) =>
        (IWorkloadGrain)grains.GetGrain(GrainId.Create(_types.Value.Grain, workload), _types.Value.Interface);
}

namespace OrleansDetect;

/// <summary>
/// Stateless entry point for ingest: takes a batch already grouped by workload and makes one
/// <see cref="IWorkloadGrain"/> call per workload.
/// </summary>
public interface IIngestRouterGrain : IGrainWithIntegerKey
{
    /// <summary>Delivers every workload's events to its grain; completes when all have been processed.</summary>
    Task<IngestResult> Ingest(WorkloadFlows[] batch);
}

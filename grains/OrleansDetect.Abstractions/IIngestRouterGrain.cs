namespace OrleansDetect;

/// <summary>
/// Stateless entry point for ingest: takes a batch already grouped by workload and makes one
/// <see cref="IWorkloadGrain"/> call per workload. The batch is the caller's and is not copied: callers never change it
/// after the call.
/// </summary>
public interface IIngestRouterGrain : IGrainWithIntegerKey
{
    /// <summary>Delivers every workload's events to its grain; completes when all have been processed.</summary>
    Task<IngestResult> Ingest([Immutable] WorkloadFlows[] batch);

    /// <summary>
    /// Delivers every workload's events to its grain, each workload once per <paramref name="key"/>, within a bounded
    /// time: workloads whose calls still fail after a short retry, or that were not reached before the batch's
    /// deadline, are listed in <see cref="IngestResult.Failed"/> (to resend) while the rest complete.
    /// </summary>
    Task<IngestResult> Ingest([Immutable] WorkloadFlows[] batch, IngestBatchKey key);
}

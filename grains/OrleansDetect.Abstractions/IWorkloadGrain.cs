namespace OrleansDetect;

/// <summary>One monitored workload (host, VM, container): its sliding windows, baseline and detectors.</summary>
public interface IWorkloadGrain : IGrainWithStringKey
{
    /// <summary>Feeds a batch of this workload's flows through its detectors; raises alerts before returning.</summary>
    Task<WorkloadIngestResult> Ingest(FlowEvent[] events);

    /// <summary>
    /// Like <see cref="Ingest(FlowEvent[])"/>, once per <paramref name="key"/>: a batch whose key the workload
    /// processed recently (a resend after a timeout or a partial failure) is answered with the first answer, and its
    /// events are not observed again.
    /// </summary>
    Task<WorkloadIngestResult> Ingest(FlowEvent[] events, IngestBatchKey key);

    /// <summary>The workload's current window summary (and baseline, when learned).</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<WorkloadView> GetView();
}

namespace OrleansDetect;

/// <summary>One monitored workload (host, VM, container): its sliding windows, baseline and detectors.</summary>
public interface IWorkloadGrain : IGrainWithStringKey
{
    /// <summary>Feeds a batch of this workload's flows through its detectors; raises alerts before returning.</summary>
    Task<WorkloadIngestResult> Ingest([Immutable] FlowEvent[] events);

    /// <summary>
    /// Like <see cref="Ingest(FlowEvent[])"/>, once per <paramref name="key"/>: a batch whose key the workload
    /// processed recently (a resend after a timeout or a partial failure) is answered with the first answer, and its
    /// events are not observed again.
    /// </summary>
    Task<WorkloadIngestResult> Ingest([Immutable] FlowEvent[] events, IngestBatchKey key);

    /// <summary>
    /// Feeds several requests' segments through the detectors in order, each once per its key (as
    /// <see cref="Ingest(FlowEvent[], IngestBatchKey)"/>), and answers each segment: one call for what several requests
    /// brought this workload. The arrays are the caller's and are not copied: callers never change them after the call.
    /// </summary>
    [return: Immutable]
    Task<WorkloadIngestResult[]> Ingest([Immutable] IngestSegment[] segments);

    /// <summary>The workload's current window summary (and baseline, when learned).</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<WorkloadView> GetView();
}

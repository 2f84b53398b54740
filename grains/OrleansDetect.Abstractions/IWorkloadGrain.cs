namespace OrleansDetect;

/// <summary>One monitored workload (host, VM, container): its sliding windows, baseline and detectors.</summary>
public interface IWorkloadGrain : IGrainWithStringKey
{
    /// <summary>Feeds a batch of this workload's flows through its detectors; raises alerts before returning.</summary>
    Task<WorkloadIngestResult> Ingest(FlowEvent[] events);

    /// <summary>The workload's current window summary (and baseline, when learned).</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<WorkloadView> GetView();
}

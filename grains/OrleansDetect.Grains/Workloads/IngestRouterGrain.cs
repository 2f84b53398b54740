using Orleans.Concurrency;
using OrleansDetect.Grains.Diagnostics;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// The entry point for ingest on each silo: hands a grouped batch to the silo's <see cref="WorkloadCallQueue"/>, which
/// makes the workload calls (one per workload, carrying every request's events that reached the workload meanwhile) and
/// answers when each workload has answered, failed, or been given up within the batch's time limits.
/// </summary>
// Reentrant is safe: the router holds no state, each call only reads its own arguments.
[StatelessWorker, Reentrant]
public sealed class IngestRouterGrain(WorkloadCallQueue calls) : Grain, IIngestRouterGrain
{
    public Task<IngestResult> Ingest(WorkloadFlows[] batch) => Ingest(batch, IngestBatchKey.None);

    public async Task<IngestResult> Ingest(WorkloadFlows[] batch, IngestBatchKey key)
    {
        // One span for the whole fan-out: the workload grains' spans hang under it.
        using var span = DetectTelemetry.Source.StartActivity("ingest.route");
        span?.SetTag("workloads", batch.Length);
        var result = await calls.Deliver(batch, key);
        if (result.Failed is { Length: > 0 } failed) span?.SetTag("workloads.failed", failed.Length);
        return result;
    }
}

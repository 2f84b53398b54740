using Orleans.Concurrency;
using OrleansDetect.Diagnostics;

namespace OrleansDetect.Grains;

/// <summary>Fans a grouped batch out to the workload grains: one call per workload, all in parallel.</summary>
// Reentrant is safe: the router holds no state, each call only reads its own arguments.
[StatelessWorker, Reentrant]
public sealed class IngestRouterGrain : Grain, IIngestRouterGrain
{
    public async Task<IngestResult> Ingest(WorkloadFlows[] batch)
    {
        // One span for the whole fan-out: the host grains' spans hang under it.
        using var span = DetectTelemetry.Source.StartActivity("ingest.route");
        span?.SetTag("workloads", batch.Length);
        var calls = new Task<HostIngestResult>[batch.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            calls[i] = GrainFactory.GetGrain<IHostGrain>(batch[i].Workload).Ingest(batch[i].Events);
        }

        var results = await Task.WhenAll(calls);
        int accepted = 0, late = 0, alerts = 0;
        foreach (var r in results)
        {
            accepted += r.Accepted;
            late += r.Late;
            alerts += r.Alerts;
        }

        return new IngestResult(accepted, late, batch.Length, alerts);
    }
}

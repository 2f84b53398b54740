using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OrleansDetect.Grains.Diagnostics;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// Fans a grouped batch out to the workload grains: one call per workload, all in parallel. A call that fails
/// because membership is changing (a silo died and its grains are moving) is retried on its own with a
/// bounded backoff; the workloads whose calls succeeded are never sent their events twice.
/// </summary>
// Reentrant is safe: the router holds no state, each call only reads its own arguments.
[StatelessWorker, Reentrant]
public sealed partial class IngestRouterGrain(IOptions<IngestRetryOptions> retryOptions, ILogger<IngestRouterGrain> logger) : Grain, IIngestRouterGrain
{
    public async Task<IngestResult> Ingest(WorkloadFlows[] batch)
    {
        // One span for the whole fan-out: the workload grains' spans hang under it.
        using var span = DetectTelemetry.Source.StartActivity("ingest.route");
        span?.SetTag("workloads", batch.Length);
        var options = retryOptions.Value;
        var budget = Stopwatch.StartNew();
        var calls = new Task<WorkloadIngestResult>[batch.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            calls[i] = DeliverAsync(batch[i], options, budget);
        }

        var results = await Task.WhenAll(calls);
        int accepted = 0, late = 0;
        foreach (var r in results)
        {
            accepted += r.Accepted;
            late += r.Late;
        }

        return new IngestResult(accepted, late);
    }

    /// <summary>Delivers one workload's events, retrying only transient membership failures, within the budget.</summary>
    private async Task<WorkloadIngestResult> DeliverAsync(WorkloadFlows flows, IngestRetryOptions options, Stopwatch budget)
    {
        var delay = options.FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await GrainFactory.GetGrain<IWorkloadGrain>(flows.Workload).Ingest(flows.Events);
            }
            catch (Exception ex) when (MembershipFailures.IsTransient(ex)
                                       && attempt < options.RetryAttempts
                                       && budget.Elapsed + delay < options.RetryBudget)
            {
                LogRetrying(logger, attempt, delay.TotalMilliseconds, ex.GetType().Name);
            }

            // Jitter spreads the retries of the many workloads that failed together with one silo.
            await Task.Delay(delay * (0.75 + Random.Shared.NextDouble() / 2));
            delay *= 2;
        }
    }

    // Per attempt, like Polly's attempts: Debug. A batch that runs out of budget is answered 503, which the client sees.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Workload call failed on attempt {Attempt} ({Failure}); retrying in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, int attempt, double delayMs, string failure);
}

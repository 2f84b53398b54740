using System.Diagnostics;
using OrleansDetect.Grains.Workloads;

namespace OrleansDetect.Grains.Diagnostics;

/// <summary>
/// The <c>workload.ingest</c> span around a workload grain's batch: the workload, the batch's event and failed-attempt
/// counts, and what detection found. A call filter rather than code in <see cref="WorkloadGrain"/>, so the grain stays
/// a thin shell around its detectors; the silo registers it only when tracing is on.
/// </summary>
public sealed class WorkloadIngestTracing : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Grain is not WorkloadGrain || context.MethodName != nameof(IWorkloadGrain.Ingest)) return context.Invoke();
        var span = DetectTelemetry.Source.StartActivity("workload.ingest");
        return span is null ? context.Invoke() : Traced(context, span);
    }

    private static async Task Traced(IIncomingGrainCallContext context, Activity span)
    {
        using (span)
        {
            if (span.IsAllDataRequested && context.Request.GetArgument(0) is FlowEvent[] events)
            {
                var failed = 0;
                foreach (ref readonly var e in events.AsSpan())
                {
                    if (e.IsFailed) failed++;
                }

                span.SetTag("workload", context.TargetId.Key.ToString());
                span.SetTag("events", events.Length);
                span.SetTag("failed", failed);
            }

            try
            {
                await context.Invoke();
            }
            catch (Exception ex)
            {
                span.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
                throw;
            }

            if (context.Result is WorkloadIngestResult result)
            {
                span.SetTag("findings", result.Alerts);
                span.SetTag("late", result.Late);
            }
        }
    }
}

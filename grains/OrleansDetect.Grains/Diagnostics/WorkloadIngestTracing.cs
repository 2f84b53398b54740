using System.Diagnostics;
using OrleansDetect.Grains.Workloads;

namespace OrleansDetect.Grains.Diagnostics;

/// <summary>
/// The <c>workload.ingest</c> span around a workload grain's batch: the workload, the batch's event and failed-attempt
/// counts, and what detection found. A call filter rather than code in <see cref="WorkloadGrain"/>, so the grain stays
/// a thin shell around its detectors; the silo registers it only when tracing is on. Events the silo feeds a local
/// activation in process get the same span from <see cref="TraceHere"/>.
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
            if (span.IsAllDataRequested)
            {
                var (count, failed, segments) = context.Request.GetArgument(0) switch
                {
                    FlowEvent[] events => Count([events]),
                    IngestSegment[] parts => Count(Array.ConvertAll(parts, p => p.Events)),
                    _ => (0, 0, 0),
                };

                span.SetTag("workload", context.TargetId.Key.ToString());
                span.SetTag("events", count);
                span.SetTag("failed", failed);
                span.SetTag("segments", segments);
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

            var (findings, late) = context.Result switch
            {
                WorkloadIngestResult one => (one.Alerts, one.Late),
                WorkloadIngestResult[] many => (many.Sum(r => r.Alerts), many.Sum(r => r.Late)),
                _ => (0, 0),
            };

            span.SetTag("findings", findings);
            span.SetTag("late", late);
        }
    }

    /// <summary>
    /// The <c>workload.ingest</c> span of one request's events fed in process to a local activation, started at
    /// <paramref name="started"/>, under the request's span (<paramref name="request"/>); nothing when nobody listens.
    /// </summary>
    public static void TraceHere(Activity? request, DateTime started, WorkloadFlows flows, WorkloadIngestResult result)
    {
        if (!DetectTelemetry.Source.HasListeners()) return;
        using var span = DetectTelemetry.Source.StartActivity("workload.ingest", ActivityKind.Internal, request?.Context ?? default, startTime: started);
        if (span is not { IsAllDataRequested: true }) return;
        var (count, failed, segments) = Count([flows.Events]);
        span.SetTag("workload", flows.Workload);
        span.SetTag("events", count);
        span.SetTag("failed", failed);
        span.SetTag("segments", segments);
        span.SetTag("findings", result.Alerts);
        span.SetTag("late", result.Late);
    }

    /// <summary>Events and failed attempts over a call's segments (a coalesced call carries several requests').</summary>
    private static (int Events, int Failed, int Segments) Count(FlowEvent[][] segments)
    {
        int events = 0, failed = 0;
        foreach (var segment in segments)
        {
            events += segment.Length;
            foreach (ref readonly var e in segment.AsSpan())
            {
                if (e.IsFailed) failed++;
            }
        }

        return (events, failed, segments.Length);
    }
}

using System.Diagnostics;
using OrleansDetect.Grains.Diagnostics;
using OrleansDetect.Ingest;

namespace OrleansDetect.Silo.Api;

/// <summary>What the gateway records about one parsed request: counters by outcome, and the parse span's counts.</summary>
internal static class IngestTelemetry
{
    public static void Parsed(Activity? span, ParsedFlows parsed)
    {
        if (parsed.Accepted > 0)
        {
            DetectTelemetry.EventsAccepted.Add(parsed.Accepted);
            DetectTelemetry.BatchSize.Record(parsed.Accepted);
        }

        foreach (var (reason, count) in parsed.RejectionReasons)
        {
            DetectTelemetry.EventsRejected.Add(count, new KeyValuePair<string, object?>("reason", reason));
        }

        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("events.accepted", parsed.Accepted);
            span.SetTag("events.rejected", parsed.Rejected);
            span.SetTag("workloads", parsed.Batches.Length);
        }
    }
}

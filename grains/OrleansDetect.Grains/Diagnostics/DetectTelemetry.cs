using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrleansDetect.Grains.Diagnostics;

/// <summary>
/// The project's own spans and instruments. Spans are per batch or per alert, never per event; metric tags are
/// low-cardinality words (a reason, a detection type, a severity, a sink), never workload ids or addresses.
/// </summary>
public static class DetectTelemetry
{
    /// <summary>The name of both the <see cref="ActivitySource"/> and the <see cref="Meter"/>.</summary>
    public const string Name = "OrleansDetect";

    private static readonly string? Version = typeof(DetectTelemetry).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource Source = new(Name, Version);

    public static readonly Meter Meter = new(Name, Version);

    /// <summary>Valid events a gateway passed on to the workload grains.</summary>
    public static readonly Counter<long> EventsAccepted = Meter.CreateCounter<long>(
        "orleansdetect.ingest.events.accepted", "{event}", "Flow events accepted by the ingest gateway");

    /// <summary>Rejected lines; tag <c>reason</c> = the first invalid field's name, or <c>json</c>.</summary>
    public static readonly Counter<long> EventsRejected = Meter.CreateCounter<long>(
        "orleansdetect.ingest.events.rejected", "{event}", "Flow event lines rejected by the ingest gateway, by reason");

    /// <summary>Valid events whose workloads could not be reached (a silo died, the batch's deadline passed); answered to be resent.</summary>
    public static readonly Counter<long> EventsFailed = Meter.CreateCounter<long>(
        "orleansdetect.ingest.events.failed", "{event}", "Flow events not processed because their workload could not be reached; the client resends them");

    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram(
        "orleansdetect.ingest.batch.size", "{event}", "Valid events per ingest request",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 10, 100, 500, 1_000, 5_000, 10_000, 50_000, 100_000] });

    /// <summary>
    /// Requests' segments per workload call: 1 under light load; more when requests reach a workload while its previous
    /// call is in flight and ride in its next call together (the group commit that keeps wide batches fast).
    /// </summary>
    public static readonly Histogram<int> SegmentsPerCall = Meter.CreateHistogram(
        "orleansdetect.ingest.call.segments", "{segment}", "Requests' event segments carried by one workload grain call",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });

    /// <summary>From the body being read to every workload grain having processed the batch.</summary>
    public static readonly Histogram<double> IngestDuration = Meter.CreateHistogram(
        "orleansdetect.ingest.duration", "s", "Time to parse an ingest request and run detection on it",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    /// <summary>New alerts; tags <c>alert.type</c>, <c>alert.severity</c>.</summary>
    public static readonly Counter<long> AlertsRaised = Meter.CreateCounter<long>(
        "orleansdetect.alerts.raised", "{alert}", "Alerts opened, by detection type and severity");

    /// <summary>Open alerts whose severity rose (notified again); tags <c>alert.type</c>, <c>alert.severity</c>.</summary>
    public static readonly Counter<long> AlertsEscalated = Meter.CreateCounter<long>(
        "orleansdetect.alerts.escalated", "{alert}", "Open alerts escalated to a higher severity");

    /// <summary>Detections that notified nobody; tags <c>reason</c> (e.g. <c>dedup</c>), <c>alert.type</c>.</summary>
    public static readonly Counter<long> DetectionsSuppressed = Meter.CreateCounter<long>(
        "orleansdetect.detections.suppressed", "{detection}", "Detections folded into an open alert or otherwise suppressed, by reason");

    /// <summary>Alert versions a sink delivered; tag <c>sink</c> (<c>slack</c>, <c>rss</c>).</summary>
    public static readonly Counter<long> SinkDeliveries = Meter.CreateCounter<long>(
        "orleansdetect.sink.deliveries", "{delivery}", "Alert notifications delivered, by sink");

    /// <summary>Attempts a sink repeated after a transient failure (429, 5xx, timeout); tag <c>sink</c>.</summary>
    public static readonly Counter<long> SinkRetries = Meter.CreateCounter<long>(
        "orleansdetect.sink.retries", "{attempt}", "Sink delivery attempts retried, by sink");

    /// <summary>Deliveries that failed after every attempt (the alert grain queues them again); tag <c>sink</c>.</summary>
    public static readonly Counter<long> SinkFailures = Meter.CreateCounter<long>(
        "orleansdetect.sink.failures", "{delivery}", "Sink deliveries that failed after all attempts, by sink");

    /// <summary>
    /// Workload grains active in this silo, observed as a level (not summed from +1/−1 deltas, which a listener that
    /// starts after some activations would total below zero once they deactivate).
    /// </summary>
    public static readonly ObservableUpDownCounter<long> ActiveWorkloads = Meter.CreateObservableUpDownCounter(
        "orleansdetect.workloads.active", static () => WorkloadCount.Active, "{workload}", "Workload grains active in this silo");

    /// <summary>Events rejected for being stamped beyond <c>Detection:MaxClockSkew</c> ahead of the silo's clock.</summary>
    public static readonly Counter<long> FutureEvents = Meter.CreateCounter<long>(
        "orleansdetect.events.future", "{event}", "Events stamped too far ahead of the silo clock, rejected");

    /// <summary>Workload baselines written to grain storage.</summary>
    public static readonly Counter<long> BaselineWrites = Meter.CreateCounter<long>(
        "orleansdetect.baseline.writes", "{write}", "Workload baselines written to storage");

    /// <summary>Windows checkpoints written to grain storage (only workloads whose windows hold failed attempts).</summary>
    public static readonly Counter<long> CheckpointWrites = Meter.CreateCounter<long>(
        "orleansdetect.checkpoint.writes", "{write}", "Workload windows checkpoints written to storage");

    /// <summary>Their size before the storage provider's framing.</summary>
    public static readonly Counter<long> CheckpointBytes = Meter.CreateCounter<long>(
        "orleansdetect.checkpoint.bytes", "By", "Bytes of workload windows checkpoints written to storage");

    public static KeyValuePair<string, object?> SinkTag(string sink) => new("sink", sink);

    /// <summary>Counts a finding an operator's suppression rule swallowed (the rule's index is low-cardinality).</summary>
    public static void RuleSuppressed(string type, int rule) => DetectionsSuppressed.Add(1,
        new KeyValuePair<string, object?>("reason", "rule"),
        new KeyValuePair<string, object?>("alert.type", type),
        new KeyValuePair<string, object?>("rule", rule.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}

using System.Diagnostics.Metrics;
using OrleansDetect.Grains.Diagnostics;

namespace OrleansDetect.Silo.Collector;

/// <summary>The collector's instruments, on the project's meter. Exporter addresses are never tags: the per-exporter figures are in <see cref="NetFlowCollector.Exporters"/>.</summary>
internal static class CollectorTelemetry
{
    public static readonly Counter<long> Datagrams = DetectTelemetry.Meter.CreateCounter<long>(
        "orleansdetect.collector.datagrams", "{datagram}", "NetFlow/IPFIX datagrams received");

    public static readonly Counter<long> Records = DetectTelemetry.Meter.CreateCounter<long>(
        "orleansdetect.collector.records", "{record}", "Flow records decoded");

    /// <summary>Tag <c>reason</c>: truncated, unknown-version, malformed, template-limit.</summary>
    public static readonly Counter<long> Dropped = DetectTelemetry.Meter.CreateCounter<long>(
        "orleansdetect.collector.datagrams.dropped", "{datagram}", "Datagrams dropped undecoded, by reason");

    /// <summary>Records of protocols the detectors do not look at (GRE, ESP, SCTP, …), left out.</summary>
    public static readonly Counter<long> UnsupportedProtocol = DetectTelemetry.Meter.CreateCounter<long>(
        "orleansdetect.collector.records.unsupported", "{record}", "Flow records of protocols other than TCP, UDP and ICMP, left out");

    public static readonly Counter<long> Events = DetectTelemetry.Meter.CreateCounter<long>(
        "orleansdetect.collector.events", "{event}", "Stitched flow events delivered to the workload grains");

    public static readonly Counter<long> SampledEvents = DetectTelemetry.Meter.CreateCounter<long>(
        "orleansdetect.collector.events.sampled", "{event}", "Flow events from sampled records (1 in N > 1)");

    /// <summary>Missing from exporters' sequence numbers, in each protocol's unit (v5 flows, v9 packets, IPFIX records).</summary>
    public static readonly Counter<long> SequenceLost = DetectTelemetry.Meter.CreateCounter<long>(
        "orleansdetect.collector.sequence.lost", "{unit}", "Flows (v5), export packets (v9) or data records (IPFIX) missing from exporters' sequence numbers");

    private static NetFlowCollector? _observed;

    /// <summary>The template gauge reads the listening collector (one per silo process).</summary>
    public static void Observe(NetFlowCollector collector) => _observed = collector;

    private static readonly ObservableGauge<int> TemplateGauge = DetectTelemetry.Meter.CreateObservableGauge(
        "orleansdetect.collector.templates", () => _observed?.Templates ?? 0, "{template}", "NetFlow v9/IPFIX templates held");

    public static readonly Counter<long> BacklogDropped = DetectTelemetry.Meter.CreateCounter<long>(
        "orleansdetect.collector.events.dropped", "{event}", "Flow events dropped because the grains could not take them");
}

using System.Diagnostics.Metrics;
using OrleansDetect.Grains.Diagnostics;

namespace OrleansDetect.Grains.Fleet;

/// <summary>Instruments of cross-workload detection (no workload or address tags).</summary>
internal static class FleetTelemetry
{
    /// <summary>Signals the per-silo aggregators received; tag <c>kind</c> = sweep or probe.</summary>
    public static readonly Counter<long> SignalsReceived = DetectTelemetry.Meter.CreateCounter<long>(
        "orleansdetect.fleet.signals.received", "{signal}", "Recon signals received by the per-silo aggregators");

    /// <summary>Signals dropped because an aggregator held <c>Detection:Fleet:MaxBufferedSignals</c>.</summary>
    public static readonly Counter<long> SignalsDropped = DetectTelemetry.Meter.CreateCounter<long>(
        "orleansdetect.fleet.signals.dropped", "{signal}", "Recon signals dropped by a full aggregator");

    /// <summary>Fleet-grain calls the aggregators made (one per port or bucket per flush).</summary>
    public static readonly Counter<long> Flushes = DetectTelemetry.Meter.CreateCounter<long>(
        "orleansdetect.fleet.flush.calls", "{call}", "Calls from the aggregators to the fleet grains");
}

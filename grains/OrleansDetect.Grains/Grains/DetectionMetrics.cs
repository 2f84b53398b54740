using System.Diagnostics.Metrics;

namespace OrleansDetect.Grains;

/// <summary>Detection counters on the "OrleansDetect" meter. Tags never carry workload names or addresses.</summary>
internal static class DetectionMetrics
{
    public const string MeterName = "OrleansDetect";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Detections a suppression rule swallowed, tagged by detection type and rule index.</summary>
    public static readonly Counter<long> Suppressed = Meter.CreateCounter<long>(
        "orleansdetect.detections.suppressed", unit: "{detection}", description: "Detections that matched a Detection:Suppress rule");

    /// <summary>Events rejected for being stamped too far ahead of the silo's clock.</summary>
    public static readonly Counter<long> FutureEvents = Meter.CreateCounter<long>(
        "orleansdetect.events.future", unit: "{event}", description: "Events stamped beyond Detection:MaxClockSkew ahead of the silo clock");

    /// <summary>Baseline writes to grain storage.</summary>
    public static readonly Counter<long> BaselineWrites = Meter.CreateCounter<long>(
        "orleansdetect.baseline.writes", unit: "{write}", description: "Workload baseline writes to grain storage");
}

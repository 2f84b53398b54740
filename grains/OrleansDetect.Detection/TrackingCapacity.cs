using System.Globalization;

namespace OrleansDetect.Detection;

/// <summary>
/// The finding raised when a detector's windows had to drop entries to stay within their bound: a workload probing
/// more distinct (port, destination) pairs in a window than are tracked — volume that could hide a sweep or scan
/// among junk. High: the windows kept judging fairly, but the operator should know they were pushed.
/// </summary>
internal static class TrackingCapacity
{
    private static readonly string[] Mitre = ["T1046", "T1595", "T1562"];

    /// <param name="detector">Which windows were pushed: "sweep" or "scan" (the alert key's scope).</param>
    /// <param name="limitKey">The setting that bounds them, named in the alert.</param>
    public static Finding Exceeded(
        AlertSubject subject, string detector, string limitKey, long dropped, int tracked, int capacity, long windowMs, long watermarkMs, bool duringLearning) => new()
    {
        Key = new AlertKey { Subject = subject, Type = DetectionTypes.TrackingCapacity, Protocol = FlowProtocol.Tcp, Scope = detector },
        Severity = Severity.High,
        DistinctTargets = tracked,
        SampleTargets = [],
        FailedAttempts = (int)Math.Min(int.MaxValue, dropped),
        WindowStartMs = watermarkMs - windowMs,
        WindowEndMs = watermarkMs,
        Threshold = capacity,
        ThresholdReason = limitKey,
        Mitre = Mitre,
        DuringLearning = duringLearning,
        Evidence = new Dictionary<string, string>
        {
            [EvidenceKeys.Reason] = "more distinct failed targets than the windows track: the oldest entries of groups below their threshold were dropped (evasion suspected)",
            ["dropped entries"] = dropped.ToString(CultureInfo.InvariantCulture),
            ["tracked entries"] = tracked.ToString(CultureInfo.InvariantCulture),
        },
    };
}

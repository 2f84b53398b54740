namespace OrleansDetect.Grains.Alerts;

/// <summary>
/// An alert's timeline: the window's counts at each detection merged into it, by event time, kept to
/// <see cref="Capacity"/> points so a long-running alert's state stays small.
/// </summary>
public static class AlertTimeline
{
    public const int Capacity = 64;

    /// <summary>The timeline with <paramref name="point"/> added in event-time order; when full, every other older point is dropped.</summary>
    public static TimelinePoint[] Add(TimelinePoint[]? timeline, TimelinePoint point)
    {
        var points = new List<TimelinePoint>((timeline?.Length ?? 0) + 1);
        if (timeline is not null) points.AddRange(timeline);
        var at = points.FindLastIndex(p => p.EventTimeMs <= point.EventTimeMs);
        if (at >= 0 && points[at].EventTimeMs == point.EventTimeMs)
        {
            // Two reports of one window end: keep the peak.
            var same = points[at];
            points[at] = new TimelinePoint(point.EventTimeMs, Math.Max(same.DistinctTargets, point.DistinctTargets), Math.Max(same.FailedAttempts, point.FailedAttempts));
        }
        else points.Insert(at + 1, point);

        if (points.Count <= Capacity) return [.. points];

        // Halve the resolution of the older half; the newest point (the current state) is always kept.
        var thinned = new List<TimelinePoint>(Capacity);
        var half = points.Count / 2;
        for (var i = 0; i < points.Count; i++)
        {
            if (i >= half || i % 2 == 0) thinned.Add(points[i]);
        }

        return [.. thinned];
    }
}

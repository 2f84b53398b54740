namespace OrleansDetect.Detection;

/// <summary>
/// A workload's event time: the watermark is the newest event time seen, and anything older than the watermark
/// minus the allowed lateness is rejected. One per workload, shared by all its detectors and its baseline.
/// </summary>
public sealed class EventClock(TimeSpan allowedLateness)
{
    private readonly long _allowedLatenessMs = (long)allowedLateness.TotalMilliseconds;
    private long _lateBeforeMs = long.MinValue;

    /// <summary>The newest event time seen (Unix ms); <see cref="long.MinValue"/> before the first event.</summary>
    public long WatermarkMs { get; private set; } = long.MinValue;

    public long LateEvents { get; private set; }

    /// <summary>Resumes a checkpointed clock (never moving this one back).</summary>
    public void Resume(long watermarkMs, long lateEvents)
    {
        if (watermarkMs > WatermarkMs)
        {
            WatermarkMs = watermarkMs;
            _lateBeforeMs = watermarkMs - _allowedLatenessMs;
        }

        LateEvents = Math.Max(LateEvents, lateEvents);
    }

    /// <summary>Moves the watermark forward; false when the event is too late to count.</summary>
    public bool Admit(long timeMs)
    {
        if (timeMs > WatermarkMs)
        {
            WatermarkMs = timeMs;
            _lateBeforeMs = timeMs - _allowedLatenessMs;
            return true;
        }

        if (timeMs < _lateBeforeMs)
        {
            LateEvents++;
            return false;
        }

        return true;
    }
}

namespace OrleansDetect.Detectors;

/// <summary>
/// Event time for one detector: the watermark is the newest event time seen, and anything older than the
/// watermark minus the allowed lateness is rejected. Each detector owns one; fed the same events, the
/// sweep and scan detectors agree on it.
/// </summary>
public sealed class EventClock(TimeSpan allowedLateness)
{
    private readonly long _allowedLatenessMs = (long)allowedLateness.TotalMilliseconds;
    private long _lateBeforeMs = long.MinValue;

    /// <summary>The newest event time seen (Unix ms); <see cref="long.MinValue"/> before the first event.</summary>
    public long WatermarkMs { get; private set; } = long.MinValue;

    public long LateEvents { get; private set; }

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

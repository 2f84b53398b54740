namespace OrleansDetect.Client.Send;

/// <summary>
/// <c>send --speed N</c>: when each event is due, in wall time since the replay started, so that the file plays back
/// at N times its own event time. The first event fixes the origin. The clock follows the newest event time seen so
/// far, so an event older than one already sent (a log that is not quite sorted) is due at once instead of
/// turning the replay back; a gap in the log is a pause of gap / N.
/// </summary>
internal sealed class ReplayPace
{
    /// <summary>Events due within this much wall time of each other go in one request (the collector flushes as often).</summary>
    public static readonly TimeSpan SliceLength = TimeSpan.FromMilliseconds(100);

    private readonly double _speed;
    private long? _originMs;
    private long _newestMs;

    public ReplayPace(double speed)
    {
        if (!(speed > 0) || double.IsInfinity(speed)) throw new ArgumentOutOfRangeException(nameof(speed), speed, "the replay speed must be a positive number");
        _speed = speed;
    }

    /// <summary>Wall time after the start at which the event stamped <paramref name="eventMs"/> is sent.</summary>
    public TimeSpan DueAt(long eventMs)
    {
        if (_originMs is null)
        {
            _originMs = eventMs;
            _newestMs = eventMs;
        }

        _newestMs = Math.Max(_newestMs, eventMs);
        return TimeSpan.FromMilliseconds((_newestMs - _originMs.Value) / _speed);
    }

    /// <summary>
    /// Cuts events (in the order they are sent) into requests: each slice starts at an event and takes the following
    /// ones due less than <see cref="SliceLength"/> after it, and is sent when its first event is due.
    /// </summary>
    public IReadOnlyList<ReplaySlice> Slices(ReadOnlySpan<long> eventTimesMs)
    {
        var slices = new List<ReplaySlice>();
        var start = 0;
        var due = TimeSpan.Zero;
        for (var i = 0; i < eventTimesMs.Length; i++)
        {
            var at = DueAt(eventTimesMs[i]);
            if (i == 0)
            {
                due = at;
            }
            else if (at - due >= SliceLength)
            {
                slices.Add(new ReplaySlice(start, i - start, due));
                start = i;
                due = at;
            }
        }

        if (eventTimesMs.Length > 0) slices.Add(new ReplaySlice(start, eventTimesMs.Length - start, due));
        return slices;
    }
}

/// <summary>Events <c>[Start, Start + Count)</c> go in one request, sent <see cref="Due"/> after the replay started.</summary>
internal readonly record struct ReplaySlice(int Start, int Count, TimeSpan Due);

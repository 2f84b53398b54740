using System.Globalization;

namespace OrleansDetect.Client.Send;

/// <summary>What a send has done so far: the progress report's figures and the closing summary.</summary>
internal sealed class SendTotals
{
    /// <summary>Rejections the gateway counted without saying why (an older gateway).</summary>
    public const string UnknownReason = "unknown";

    private readonly SortedDictionary<string, long> _rejectedBy = new(StringComparer.Ordinal);

    public int Batches { get; set; }

    /// <summary>Non-blank, non-header lines read (events, bad lines and skipped records).</summary>
    public long Lines { get; set; }

    public long Accepted { get; set; }

    public long Rejected { get; private set; }

    public long Late { get; set; }

    /// <summary>Lines that said they hold no flow (VPC NODATA/SKIPDATA).</summary>
    public long Skipped { get; set; }

    public IReadOnlyDictionary<string, long> RejectedBy => _rejectedBy;

    /// <summary>Counts <paramref name="rejected"/> lines under the reasons given; any the reasons do not cover count as <see cref="UnknownReason"/>.</summary>
    public void AddRejected(int rejected, IEnumerable<KeyValuePair<string, int>>? reasons)
    {
        Rejected += rejected;
        var explained = 0;
        foreach (var (reason, count) in reasons ?? [])
        {
            if (count <= 0) continue;
            _rejectedBy[reason] = _rejectedBy.GetValueOrDefault(reason) + count;
            explained += count;
        }

        if (rejected > explained) _rejectedBy[UnknownReason] = _rejectedBy.GetValueOrDefault(UnknownReason) + (rejected - explained);
    }

    /// <summary>"done: 3 batches, 12 lines in 0.4 s: accepted 9, rejected 3 (json 1, ts 2), late 1; 30 lines/s, 22 events/s".</summary>
    public string Summary(TimeSpan elapsed)
    {
        var seconds = Math.Max(elapsed.TotalSeconds, 0.001);
        var reasons = _rejectedBy.Count > 0 ? $" ({string.Join(", ", _rejectedBy.Select(r => $"{r.Key} {r.Value}"))})" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"done: {Batches} batches, {Lines} lines in {seconds:F1} s: accepted {Accepted}, rejected {Rejected}{reasons}" +
            $"{(Late > 0 ? $", late {Late}" : "")}{(Skipped > 0 ? $", skipped {Skipped} (no data)" : "")}; " +
            $"{Lines / seconds:F0} lines/s, {Accepted / seconds:F0} events/s");
    }
}

/// <summary>Where a send stands: lines and events so far, and how far into the file (null for stdin).</summary>
internal readonly record struct SendProgress(long Lines, long Accepted, TimeSpan Elapsed, long? Position, long? Length)
{
    public double? Fraction => Length > 0 && Position is { } position ? Math.Clamp((double)position / Length.Value, 0, 1) : null;

    public double EventsPerSecond => Elapsed > TimeSpan.Zero ? Accepted / Elapsed.TotalSeconds : 0;

    /// <summary>The time left at the pace so far; null before any progress or without a file length.</summary>
    public TimeSpan? Remaining => Fraction is double f && f > 0 ? Elapsed * ((1 - f) / f) : null;

    /// <summary>"12000 lines (40%), 11800 events, 52000 events/s, ETA 0:12".</summary>
    public string Describe()
    {
        var percent = Fraction is { } f ? string.Create(CultureInfo.InvariantCulture, $" ({f * 100:F0}%)") : "";
        var eta = Remaining is { } left ? $", ETA {Clock(left)}" : "";
        return string.Create(CultureInfo.InvariantCulture, $"{Lines} lines{percent}, {Accepted} events, {EventsPerSecond:F0} events/s{eta}");
    }

    private static string Clock(TimeSpan t) => t.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}")
        : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}:{t.Seconds:D2}");
}

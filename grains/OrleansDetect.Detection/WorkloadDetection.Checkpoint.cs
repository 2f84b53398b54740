namespace OrleansDetect.Detection;

/// <summary>
/// The windows checkpoint: what a kill would otherwise lose that detection needs — the sweep and scan windows
/// (every failed attempt still in its window, with what was last reported of each), the event clock, the
/// workload's own address, and the event counters. The baseline is not in it (<see cref="Export"/> has that).
/// </summary>
public sealed partial class WorkloadDetection
{
    /// <summary>True while the sweep or scan windows hold failed attempts: only then is a checkpoint worth writing.</summary>
    public bool HoldsFailedAttempts => TrackedWindowEntries > 0;

    /// <summary>Every event a batch brought, whatever became of it; moves whenever a checkpoint would differ.</summary>
    public long ObservedEvents => _eventsSeen + _clock.LateEvents + _futureEvents;

    /// <summary>
    /// The checkpoint in its compact binary form (<see cref="CheckpointWriter"/>), or null when, once expired entries
    /// are pruned, the windows hold no failed attempt: there is nothing a kill could cost detection.
    /// </summary>
    public byte[]? WriteCheckpoint()
    {
        var watermarkMs = _clock.WatermarkMs;
        if (!HoldsFailedAttempts) return null;
        _sweeps.Prune(watermarkMs);
        _scans.Prune(watermarkMs);
        if (!HoldsFailedAttempts) return null;

        var writer = new CheckpointWriter();
        writer.Int(watermarkMs);
        writer.UInt((ulong)_eventsSeen);
        writer.UInt((ulong)_clock.LateEvents);
        writer.UInt((ulong)_futureEvents);
        writer.Time(_firstEventMs, watermarkMs);
        writer.Time(_lastEventMs, watermarkMs);
        _addresses.WriteCheckpoint(writer);
        _sweeps.WriteCheckpoint(writer, watermarkMs);
        _scans.WriteCheckpoint(writer, watermarkMs);
        return writer.ToArray();
    }

    /// <summary>
    /// Resumes a checkpoint in a fresh instance, after <see cref="Restore"/> of the baseline. Counters take the newer
    /// of the two (both only grow), so whichever of baseline and checkpoint was written last wins. Throws
    /// <see cref="InvalidCheckpointException"/> for data it cannot read; the instance is then half-restored and
    /// must be replaced.
    /// </summary>
    public void RestoreCheckpoint(ReadOnlySpan<byte> data)
    {
        if (TrackedWindowEntries > 0 || _clock.WatermarkMs != long.MinValue) throw new InvalidOperationException("a checkpoint resumes into a fresh workload only");
        var reader = new CheckpointReader(data);
        var watermarkMs = reader.Int();
        var eventsSeen = (long)reader.UInt();
        var lateEvents = (long)reader.UInt();
        var futureEvents = (long)reader.UInt();
        var firstEventMs = reader.Time(watermarkMs);
        var lastEventMs = reader.Time(watermarkMs);
        _addresses.ReadCheckpoint(ref reader);
        _sweeps.ReadCheckpoint(ref reader, watermarkMs);
        _scans.ReadCheckpoint(ref reader, watermarkMs);
        if (!reader.AtEnd) throw new InvalidCheckpointException("data after the scan windows");

        _clock.Resume(watermarkMs, lateEvents);
        _eventsSeen = Math.Max(_eventsSeen, eventsSeen);
        _futureEvents = Math.Max(_futureEvents, futureEvents);
        _firstEventMs = Math.Min(_firstEventMs, firstEventMs);
        _lastEventMs = Math.Max(_lastEventMs, lastEventMs);
    }
}

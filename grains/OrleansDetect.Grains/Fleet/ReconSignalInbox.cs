using System.Collections.Concurrent;

namespace OrleansDetect.Grains.Fleet;

/// <summary>
/// Where the workload grains of one silo leave their recon signals for the silo's aggregator
/// (<see cref="ReconSignalGrain"/>), in memory: a message per workload batch with failed probes cost as much as the
/// batch's own call once batches spread over thousands of workloads. Only the signal that finds the inbox empty wakes
/// the aggregator (one one-way call per flush interval at most); the aggregator drains the inbox when it flushes.
/// Bounded like the aggregator's buffer: past <see cref="MaxSignals"/> queued signals, new ones are dropped and
/// counted.
/// </summary>
public sealed class ReconSignalInbox
{
    private readonly ConcurrentQueue<ReconSignals> _queue = new();
    private int _queued;
    private long _dropped;
    private int _armed;

    /// <summary>Signals (sweeps plus probes) the inbox holds at most; set from <c>Detection:Fleet:MaxBufferedSignals</c>.</summary>
    public int MaxSignals { get; init; } = 100_000;

    /// <summary>Leaves one batch's signals; true when the aggregator has to be woken (the inbox was empty since its last drain).</summary>
    public bool Post(ReconSignals signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        var count = signals.Sweeps.Length + signals.Probes.Length;
        if (Interlocked.Add(ref _queued, count) > MaxSignals)
        {
            Interlocked.Add(ref _queued, -count);
            Interlocked.Add(ref _dropped, count);
            FleetTelemetry.SignalsDropped.Add(count);
        }
        else
        {
            _queue.Enqueue(signals);
        }

        return Interlocked.Exchange(ref _armed, 1) == 0;
    }

    /// <summary>Hands everything left so far to <paramref name="take"/>; returns how many signals were dropped since the last drain.</summary>
    public long Drain(Action<ReconSignals> take)
    {
        ArgumentNullException.ThrowIfNull(take);

        // Disarmed first: a signal posted during the drain either is taken now or wakes the aggregator again.
        Volatile.Write(ref _armed, 0);
        while (_queue.TryDequeue(out var signals))
        {
            Interlocked.Add(ref _queued, -(signals.Sweeps.Length + signals.Probes.Length));
            take(signals);
        }

        return Interlocked.Exchange(ref _dropped, 0);
    }
}

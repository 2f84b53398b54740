namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// The idempotency keys of the batches a workload processed recently, with what it answered: a ring that holds keys
/// for <see cref="BatchKeyOptions.Window"/> and at most <see cref="BatchKeyOptions.KeysPerWorkload"/> of them (the
/// oldest go first), starting small and growing only while keys arrive faster than they expire. 20 bytes a key.
/// </summary>
public sealed class RecentBatches(TimeSpan window, int maxKeys)
{
    private const int InitialCapacity = 4;

    private ulong[] _keys = [];
    private long[] _seenMs = [];
    private WorkloadIngestResult[] _results = [];
    private int _next;

    /// <summary>How many keys the ring can hold before it grows (memory, not a count of live keys).</summary>
    public int Capacity => _keys.Length;

    /// <summary>The answer given to <paramref name="key"/> when it was processed within the window.</summary>
    public bool TryGet(IngestBatchKey key, long nowMs, out WorkloadIngestResult result)
    {
        // Unused slots hold 0, which no key has; the search is vectorised.
        var i = Array.IndexOf(_keys, key.Value);
        if (i >= 0 && !Expired(i, nowMs))
        {
            result = _results[i];
            return true;
        }

        result = default;
        return false;
    }

    public void Remember(IngestBatchKey key, long nowMs, WorkloadIngestResult result)
    {
        if (_keys.Length == 0 || (_keys[_next] != 0 && !Expired(_next, nowMs) && _keys.Length < maxKeys))
        {
            Grow();
        }

        _keys[_next] = key.Value;
        _seenMs[_next] = nowMs;
        _results[_next] = result;
        _next = (_next + 1) % _keys.Length;
    }

    private bool Expired(int slot, long nowMs) => nowMs - _seenMs[slot] > (long)window.TotalMilliseconds;

    /// <summary>Doubles the ring, keeping the oldest-first order so the next write still replaces the oldest key.</summary>
    private void Grow()
    {
        var size = Math.Min(Math.Max(_keys.Length * 2, InitialCapacity), maxKeys);
        var keys = new ulong[size];
        var seen = new long[size];
        var results = new WorkloadIngestResult[size];
        var old = _keys.Length;
        for (var i = 0; i < old; i++)
        {
            var from = (_next + i) % old;
            keys[i] = _keys[from];
            seen[i] = _seenMs[from];
            results[i] = _results[from];
        }

        (_keys, _seenMs, _results, _next) = (keys, seen, results, old);
    }
}

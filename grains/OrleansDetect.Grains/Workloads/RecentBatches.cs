using System.Numerics;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// The idempotency keys of the batches a workload processed recently, with what it answered: an open-addressing table
/// that holds keys for <see cref="BatchKeyOptions.IdempotencyWindow"/> and at most
/// <see cref="BatchKeyOptions.IdempotencyKeysPerWorkload"/> of them (when full, the oldest quarter goes), starting
/// small and growing only while keys arrive faster than they expire: 24 bytes a slot (key, time and answer), rebuilt at
/// most 60 % full and again once three quarters of its slots are taken (~40 bytes a live key in a busy workload).
/// </summary>
/// <remarks>
/// A workload in every request of a busy gateway holds a key per request for the whole window (a thousand or more), and
/// a batch over thousands of workloads asks each of them about a new key: the key, its time and its answer share a
/// slot, so the answer (almost always "not seen") costs one cache line, and the write that follows touches the same
/// line. An expired key keeps its slot until a write reuses it or the table is rebuilt (when three quarters of its
/// slots are taken, live or expired).
/// </remarks>
public sealed class RecentBatches(TimeSpan window, int maxKeys)
{
    /// <summary>Slots of a new table.</summary>
    public const int InitialSlots = 4;

    private readonly long _windowMs = (long)window.TotalMilliseconds;
    private Entry[] _slots = [];
    private int _mask;

    // Slots taken, live or expired: a write into a free slot that would take more than MaxTaken rebuilds the table.
    private int _taken;

    // Times are kept as milliseconds after this (int: 24 days), set when the table is rebuilt.
    private long _baseMs;

    /// <summary>How many keys the table holds before it grows or drops its oldest (memory, not a count of live keys).</summary>
    public int Capacity => MaxTaken(_slots.Length);

    /// <summary>The answer given to <paramref name="key"/> when it was processed within the window.</summary>
    public bool TryGet(IngestBatchKey key, long nowMs, out WorkloadIngestResult result)
    {
        if (_slots.Length > 0)
        {
            for (var i = Home(key.Value); _slots[i].Key != 0; i = (i + 1) & _mask)
            {
                if (_slots[i].Key != key.Value) continue;
                if (Expired(in _slots[i], nowMs)) break;
                result = _slots[i].Result;
                return true;
            }
        }

        result = default;
        return false;
    }

    public void Remember(IngestBatchKey key, long nowMs, WorkloadIngestResult result)
    {
        if (_slots.Length == 0 || nowMs - _baseMs is > int.MaxValue or < int.MinValue) Rebuild(nowMs);

        // The key's own slot if it is still there (expired: a resend after the window), else the first expired slot
        // on its probe run, else the free slot that ends the run.
        var reusable = -1;
        var i = Home(key.Value);
        for (; _slots[i].Key != 0; i = (i + 1) & _mask)
        {
            if (_slots[i].Key == key.Value)
            {
                reusable = i;
                break;
            }

            if (reusable < 0 && Expired(in _slots[i], nowMs)) reusable = i;
        }

        if (reusable < 0)
        {
            if (_taken + 1 > MaxTaken(_slots.Length))
            {
                Rebuild(nowMs);
                Remember(key, nowMs, result);
                return;
            }

            reusable = i;
            _taken++;
        }

        _slots[reusable] = new Entry { Key = key.Value, SeenMs = (int)(nowMs - _baseMs), Result = result };
    }

    private int MaxTaken(int slots) => Math.Min(maxKeys, slots / 4 * 3);

    private bool Expired(in Entry entry, long nowMs) => nowMs - (_baseMs + entry.SeenMs) > _windowMs;

    // Keys are hashes of the client's key (SHA-256): their low bits are already uniform.
    private int Home(ulong key) => (int)key & _mask;

    /// <summary>
    /// Keeps the live keys (the newest three quarters of <c>maxKeys</c> when it holds that many) in a table sized to
    /// hold them at most 60 % full; grows, shrinks, and forgets the expired.
    /// </summary>
    private void Rebuild(long nowMs)
    {
        var live = new List<(long SeenMs, Entry Entry)>();
        foreach (var entry in _slots)
        {
            if (entry.Key != 0 && !Expired(in entry, nowMs)) live.Add((_baseMs + entry.SeenMs, entry));
        }

        if (live.Count >= maxKeys)
        {
            var kept = maxKeys - Math.Max(1, maxKeys / 4);
            live.Sort(static (a, b) => b.SeenMs.CompareTo(a.SeenMs));
            live.RemoveRange(kept, live.Count - kept);
        }

        // At most 60 % full with the key being written; never larger than maxKeys needs.
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(InitialSlots, ((live.Count + 1) * 5 + 2) / 3));
        while (size > InitialSlots && MaxTaken(size / 2) >= maxKeys) size /= 2;
        _slots = new Entry[size];
        _mask = size - 1;
        _taken = live.Count;
        _baseMs = nowMs - _windowMs;
        foreach (var (seenMs, entry) in live)
        {
            var i = Home(entry.Key);
            while (_slots[i].Key != 0) i = (i + 1) & _mask;
            _slots[i] = entry with { SeenMs = (int)(seenMs - _baseMs) };
        }
    }

    private record struct Entry
    {
        public ulong Key;

        /// <summary>Milliseconds after the table's base time.</summary>
        public int SeenMs;

        public WorkloadIngestResult Result;
    }
}

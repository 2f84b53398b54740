using System.Numerics;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// The idempotency keys of the batches a workload processed recently, with what it answered: a ring that holds keys
/// for <see cref="BatchKeyOptions.Window"/> and at most <see cref="BatchKeyOptions.KeysPerWorkload"/> of them (the
/// oldest go first), starting small and growing only while keys arrive faster than they expire, and a hash index
/// over it: 40 bytes a key (key, time and answer, 32; the index at least 8).
/// </summary>
/// <remarks>
/// A workload in every request of a busy gateway holds a key per request for the whole window (a thousand or more).
/// Searching the ring was a pass over all of them at every batch, which at 10,000 workloads per batch streamed
/// ~16 KB per workload through the cache each time; the index answers with a probe or two.
/// </remarks>
public sealed class RecentBatches(TimeSpan window, int maxKeys)
{
    private const int InitialCapacity = 4;

    private readonly long _windowMs = (long)window.TotalMilliseconds;
    // One entry per slot, key beside its time and answer: a lookup and a write each touch one cache line of the ring.
    private Entry[] _ring = [];
    private int _next;

    // Open addressing with linear probing: ring slot + 1 (0 is free), at least twice the ring's size, a power of two.
    // Each key in the ring is indexed once (a key remembered again moves to its new slot).
    private int[] _index = [];
    private int _indexMask;

    /// <summary>How many keys the ring can hold before it grows (memory, not a count of live keys).</summary>
    public int Capacity => _ring.Length;

    /// <summary>The answer given to <paramref name="key"/> when it was processed within the window.</summary>
    public bool TryGet(IngestBatchKey key, long nowMs, out WorkloadIngestResult result)
    {
        var slot = Find(key.Value);
        if (slot >= 0 && !Expired(slot, nowMs))
        {
            result = _ring[slot].Result;
            return true;
        }

        result = default;
        return false;
    }

    public void Remember(IngestBatchKey key, long nowMs, WorkloadIngestResult result)
    {
        if (_ring.Length == 0 || (_ring[_next].Key != 0 && !Expired(_next, nowMs) && _ring.Length < maxKeys))
        {
            Grow();
        }

        // An expired copy of the key (a resend after the window) gives up its slot's index entry: one entry per key.
        var earlier = Find(key.Value);
        if (earlier >= 0)
        {
            Unindex(earlier);
            _ring[earlier].Key = 0;
        }

        if (_ring[_next].Key != 0) Unindex(_next);
        _ring[_next] = new Entry { Key = key.Value, SeenMs = nowMs, Result = result };
        Index(_next);
        _next = (_next + 1) % _ring.Length;
    }

    private bool Expired(int slot, long nowMs) => nowMs - _ring[slot].SeenMs > _windowMs;

    // Keys are hashes of the client's key (SHA-256): their low bits are already uniform.
    private int Home(ulong key) => (int)key & _indexMask;

    /// <summary>The ring slot holding <paramref name="key"/>, or -1.</summary>
    private int Find(ulong key)
    {
        if (_index.Length == 0) return -1;
        for (var h = Home(key); ; h = (h + 1) & _indexMask)
        {
            var slot = _index[h] - 1;
            if (slot < 0) return -1;
            if (_ring[slot].Key == key) return slot;
        }
    }

    private void Index(int slot)
    {
        var h = Home(_ring[slot].Key);
        while (_index[h] != 0) h = (h + 1) & _indexMask;
        _index[h] = slot + 1;
    }

    /// <summary>Removes the index entry of a ring slot, shifting later entries of its probe run back into the gap.</summary>
    private void Unindex(int slot)
    {
        var hole = Home(_ring[slot].Key);
        while (_index[hole] != slot + 1) hole = (hole + 1) & _indexMask;
        _index[hole] = 0;
        for (var j = (hole + 1) & _indexMask; _index[j] != 0; j = (j + 1) & _indexMask)
        {
            // An entry may fill the hole when its home is not between the hole and it (cyclically).
            var home = Home(_ring[_index[j] - 1].Key);
            if (((j - home) & _indexMask) >= ((j - hole) & _indexMask))
            {
                _index[hole] = _index[j];
                _index[j] = 0;
                hole = j;
            }
        }
    }

    /// <summary>Doubles the ring, keeping the oldest-first order so the next write still replaces the oldest key, and rebuilds the index.</summary>
    private void Grow()
    {
        var size = Math.Min(Math.Max(_ring.Length * 2, InitialCapacity), maxKeys);
        var ring = new Entry[size];
        var old = _ring.Length;
        for (var i = 0; i < old; i++)
        {
            ring[i] = _ring[(_next + i) % old];
        }

        (_ring, _next) = (ring, old);
        _index = new int[(int)BitOperations.RoundUpToPowerOf2((uint)size * 2)];
        _indexMask = _index.Length - 1;
        for (var i = 0; i < old; i++)
        {
            if (_ring[i].Key != 0) Index(i);
        }
    }

    private struct Entry
    {
        public ulong Key;
        public long SeenMs;
        public WorkloadIngestResult Result;
    }
}

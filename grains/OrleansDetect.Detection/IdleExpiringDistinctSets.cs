namespace OrleansDetect.Detection;

/// <summary>A slow set that reached its threshold and has something new to say.</summary>
internal readonly record struct SlowSetReport<TGroup, TMember>(
    TGroup Group,
    Severity Severity,
    int Distinct,
    bool Saturated,
    TMember[] Sample,
    int FailedAttempts,
    long FirstMs,
    long LastNewMs,
    WindowThreshold Threshold);

/// <summary>
/// Distinct members per group in sets that stay open while a new member keeps arriving within an idle timeout
/// (Zeek's simple-scan rule: a scanner's set expires 15 min after its last new target), so probes spread too thinly
/// for the sliding windows still add up. The second tracker beside <see cref="SlidingDistinctWindows{TGroup,TMember}"/>.
/// </summary>
/// <remarks>
/// Memory is bounded twice: a group stops growing at its own bound (its count saturates, "at least N"), and when all
/// groups together hold the total bound, the idlest tenth of the groups below their threshold are dropped
/// (<see cref="Evicted"/> counts their members), so junk spread over many groups cannot blind a real slow sweep.
/// A group the sliding windows already reported while its set is open is muted: the fast alert says it.
/// </remarks>
internal sealed class IdleExpiringDistinctSets<TGroup, TMember>
    where TGroup : struct, IEquatable<TGroup>
    where TMember : struct, IEquatable<TMember>
{
    private readonly Dictionary<TGroup, SlowSet> _sets = [];
    private readonly Func<TGroup, int> _staticThreshold;
    private readonly long _idleMs;
    private readonly int _maxMembers;
    private readonly int _maxPerGroup;
    private readonly int _sampleSize;
    private readonly long _pruneEveryMs;
    private long _nextPruneAtMs = long.MinValue;
    private int _members;
    private bool _grown;

    public IdleExpiringDistinctSets(long idleMs, int maxMembers, int maxPerGroup, int sampleSize, Func<TGroup, int> staticThreshold)
    {
        _idleMs = Math.Max(1, idleMs);
        _maxMembers = maxMembers;
        _maxPerGroup = maxPerGroup;
        _sampleSize = sampleSize;
        _staticThreshold = staticThreshold;
        _pruneEveryMs = Math.Max(1, _idleMs / 8);
    }

    /// <summary>Members held across all open sets (at most the total bound).</summary>
    public int TrackedMembers => _members;

    /// <summary>Members dropped with their idle groups to make room, since this tracker was created.</summary>
    public long Evicted { get; private set; }

    /// <summary>Counts <paramref name="member"/> in <paramref name="group"/>'s set, opening a new set when the last one went idle.</summary>
    public void Add(TGroup group, TMember member, long timeMs, long watermarkMs)
    {
        if (!_sets.TryGetValue(group, out var set))
        {
            if (_members >= _maxMembers && !MakeRoom(group, watermarkMs)) return;
            set = new SlowSet(_staticThreshold(group), _sampleSize);
            _sets.Add(group, set);
        }
        else if (set.LastNewMs + _idleMs <= watermarkMs)
        {
            // The old set went idle before this probe: a new set starts (its report state with it).
            _members -= set.Members.Count;
            set.Reset();
        }

        set.Attempts++;
        if (set.Members.Count < _maxPerGroup && _members < _maxMembers)
        {
            // Room for it: one lookup tells a known member from a new one (most probes repeat a target).
            if (!set.Members.Add(member)) return;
        }
        else
        {
            if (set.Members.Contains(member)) return;
            if (set.Members.Count >= _maxPerGroup || !MakeRoom(group, watermarkMs))
            {
                if (!set.Saturated && set.Members.Count >= set.StaticThreshold) _grown = true;
                set.Saturated = true;
                return;
            }

            set.Members.Add(member);
        }

        _members++;
        if (set.SampleCount < set.Sample.Length) set.Sample[set.SampleCount++] = member;
        if (set.FirstMs == long.MinValue || timeMs < set.FirstMs) set.FirstMs = timeMs;
        if (timeMs > set.LastNewMs) set.LastNewMs = timeMs;
        if (set.Members.Count >= set.StaticThreshold) _grown = true;
    }

    /// <summary>The sliding windows reported <paramref name="group"/>: its open set says nothing more (the fast alert does).</summary>
    public void MuteOpenSet(TGroup group)
    {
        if (_sets.TryGetValue(group, out var set)) set.Muted = true;
    }

    /// <summary>Drops idle sets once per eighth of the idle timeout of event time.</summary>
    public void AdvanceTo(long watermarkMs)
    {
        if (watermarkMs < _nextPruneAtMs) return;
        _nextPruneAtMs = watermarkMs + _pruneEveryMs;
        foreach (var (group, set) in _sets)
        {
            if (set.LastNewMs + _idleMs <= watermarkMs)
            {
                _members -= set.Members.Count;
                _sets.Remove(group);
            }
        }
    }

    /// <summary>Reports each open set at or above its threshold that is new, rose in severity or grew since its last report.</summary>
    public void Judge(Func<TGroup, int, WindowThreshold> threshold, List<SlowSetReport<TGroup, TMember>> reports)
    {
        if (!_grown) return;
        _grown = false;
        foreach (var (group, set) in _sets)
        {
            var distinct = set.Members.Count;
            if (set.Muted || distinct < set.StaticThreshold || (distinct <= set.ReportedDistinct && set.Saturated == set.ReportedSaturated)) continue;
            var applies = threshold(group, set.StaticThreshold);
            if (distinct < applies.Medium) continue;
            var severity = distinct >= applies.High ? Severity.High : Severity.Medium;
            set.ReportedDistinct = distinct;
            set.ReportedSaturated = set.Saturated;
            reports.Add(new SlowSetReport<TGroup, TMember>(
                group, severity, distinct, set.Saturated, set.Sample.AsSpan(0, set.SampleCount).ToArray(), set.Attempts, set.FirstMs, set.LastNewMs, applies));
        }
    }

    /// <summary>
    /// Drops the idlest sets below their threshold (and any already idle), never <paramref name="admitting"/>'s, until a
    /// tenth of the bound is free: O(groups), once per tenth of the bound. False when none may go.
    /// </summary>
    private bool MakeRoom(TGroup admitting, long watermarkMs)
    {
        var candidates = new List<(long LastNewMs, TGroup Group)>();
        foreach (var (group, set) in _sets)
        {
            if (group.Equals(admitting)) continue;
            if (set.Members.Count < set.StaticThreshold || set.LastNewMs + _idleMs <= watermarkMs) candidates.Add((set.LastNewMs, group));
        }

        if (candidates.Count == 0) return false;
        candidates.Sort(static (a, b) => a.LastNewMs.CompareTo(b.LastNewMs));
        var target = Math.Max(1, _maxMembers / 10);
        var freed = 0;
        foreach (var (_, group) in candidates)
        {
            if (freed >= target) break;
            var count = _sets[group].Members.Count;
            _sets.Remove(group);
            _members -= count;
            freed += count;
            Evicted += count;
        }

        return _members < _maxMembers;
    }

    private sealed class SlowSet(int staticThreshold, int sampleSize)
    {
        public HashSet<TMember> Members { get; } = [];
        public int StaticThreshold { get; } = staticThreshold;
        public TMember[] Sample { get; } = new TMember[sampleSize];
        public int SampleCount;
        public int Attempts;
        public long FirstMs = long.MinValue;
        public long LastNewMs = long.MinValue;
        public int ReportedDistinct;
        public bool ReportedSaturated;
        public bool Saturated;
        public bool Muted;

        public void Reset()
        {
            Members.Clear();
            SampleCount = 0;
            Attempts = 0;
            FirstMs = long.MinValue;
            LastNewMs = long.MinValue;
            ReportedDistinct = 0;
            ReportedSaturated = false;
            Saturated = false;
            Muted = false;
        }
    }
}

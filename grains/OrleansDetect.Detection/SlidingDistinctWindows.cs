using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OrleansDetect.Detection;

/// <summary>
/// The thresholds that apply to one window. Why they apply is worded only for a report (the detector's
/// <c>ThresholdReason</c>): judging runs every batch for every window at its static threshold, reporting rarely.
/// </summary>
public readonly record struct WindowThreshold(int Medium, int High);

/// <summary>A window that reached its threshold and has something new to say.</summary>
internal readonly record struct WindowReport<TGroup, TMember>(
    TGroup Group,
    Severity Severity,
    int Distinct,
    bool Saturated,
    TMember[] Sample,
    int FailedAttempts,
    long WindowStartMs,
    WindowThreshold Threshold);

/// <summary>
/// Distinct members per group within an event-time window (destinations per port for sweeps, ports per
/// destination for scans), with bounded memory and the "report only what is new" state.
/// </summary>
/// <remarks>
/// Two flat dictionaries and no per-group collections, so steady-state updates allocate nothing: one keyed
/// by (group, member) holding when that member leaves the window, one keyed by group holding counts.
/// Counts are exact after <see cref="Prune"/> and upper bounds in between (expired members not yet removed).
/// When a group reaches its own bound a new member is not tracked and the group is marked saturated: it stops
/// growing until old members expire, and a finding reports "at least N". When all groups together reach the
/// total bound, the oldest tenth of the members of groups still below their threshold — junk spread over many
/// groups — makes room (<see cref="Evicted"/> counts them), so volume on thousands of ports cannot crowd out a
/// real sweep; only when every member belongs to a group at its threshold is the new member refused.
/// </remarks>
internal sealed partial class SlidingDistinctWindows<TGroup, TMember>
    where TGroup : struct, IEquatable<TGroup>
    where TMember : struct, IEquatable<TMember>
{
    private readonly Dictionary<MemberKey, Member> _members = [];
    private readonly Dictionary<TGroup, GroupState> _groups = [];
    private readonly Func<TGroup, int> _staticThreshold;
    private readonly int _maxMembers;
    private readonly int _maxPerGroup;
    private readonly int _sampleSize;
    private readonly long _pruneEveryMs;
    private long _nextPruneAtMs = long.MinValue;
    private long[] _evictionScratch = [];

    // Evidence scratch reused by every Judge so a quiet batch allocates nothing; the first
    // _candidateCount entries belong to the current judgement.
    private readonly List<GroupStats> _candidates = [];
    private int _candidateCount;
    private bool _grownSinceJudge;
    private long _judgedWatermarkMs = long.MinValue;

    // False only when no group can be at its static threshold or hold a report: then Judge has nothing to look at. A
    // batch spread over thousands of workloads visits each with an event or two, and judging every group of every
    // visited window was most of what such a visit cost. Set when a group reaches its threshold (counts only fall
    // otherwise) and by a restored checkpoint; cleared by a judgement that found no candidate.
    private bool _mayJudge;

    /// <param name="staticThreshold">A group's medium threshold without learned baselines; a group below it is never judged.</param>
    /// <param name="pruneEveryMs">Event time between the amortized prunes of <see cref="AdvanceTo"/>.</param>
    public SlidingDistinctWindows(int maxMembers, int maxPerGroup, int sampleSize, Func<TGroup, int> staticThreshold, long pruneEveryMs)
    {
        _pruneEveryMs = Math.Max(1, pruneEveryMs);
        _maxMembers = maxMembers;
        _maxPerGroup = maxPerGroup;
        _sampleSize = sampleSize;
        _staticThreshold = staticThreshold;
    }

    public int TrackedMembers => _members.Count;

    /// <summary>Whether a window of the group has been reported and its report not yet expired (restored checkpoints included).</summary>
    public bool IsReported(TGroup group) => _groups.TryGetValue(group, out var state) && state.ReportedSeverity != 0;

    /// <summary>Members dropped to make room under the total bound, since this window was created.</summary>
    public long Evicted { get; private set; }

    /// <summary>Counts <paramref name="member"/> in <paramref name="group"/> at <paramref name="timeMs"/>, unless it is already outside the window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(TGroup group, TMember member, long timeMs, long windowMs, long watermarkMs)
    {
        var leavesAtMs = timeMs + windowMs;
        if (leavesAtMs <= watermarkMs)
        {
            return;
        }

        var key = new MemberKey(group, member);
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_members, key, out var known);
        if (known)
        {
            // Out-of-order events keep the latest time: a member stays as long as its newest sighting.
            if (leavesAtMs > entry.LeavesAtMs)
            {
                entry.LeavesAtMs = leavesAtMs;
            }

            entry.Attempts++;
            return;
        }

        AddNew(key, leavesAtMs, windowMs);
    }

    private void AddNew(MemberKey key, long leavesAtMs, long windowMs)
    {
        ref var state = ref CollectionsMarshal.GetValueRefOrAddDefault(_groups, key.Group, out var groupKnown);
        if (!groupKnown)
        {
            state.StaticThreshold = _staticThreshold(key.Group);
            state.WindowMs = windowMs;
        }

        if (state.Distinct >= _maxPerGroup || (_members.Count > _maxMembers && !MakeRoom(key.Group)))
        {
            state.Saturated = true;
            _members.Remove(key);
            return;
        }

        // Making room only removed other entries, which does not move this one; looked up again all the same.
        ref var added = ref CollectionsMarshal.GetValueRefOrNullRef(_members, key);
        added.LeavesAtMs = leavesAtMs;
        added.Attempts = 1;
        state.Distinct++;
        _grownSinceJudge = true;
        if (state.Distinct >= state.StaticThreshold) _mayJudge = true;
    }

    /// <summary>
    /// Drops the oldest tenth of the members of groups below their static threshold (never <paramref name="admitting"/>'s):
    /// O(tracked members), once per tenth of the bound, so amortized O(1) per member. False when nothing may go.
    /// </summary>
    private bool MakeRoom(TGroup admitting)
    {
        if (_evictionScratch.Length < _members.Count) _evictionScratch = new long[_members.Count];
        var eligible = 0;
        foreach (var (key, entry) in _members)
        {
            if (IsEvictable(key, admitting)) _evictionScratch[eligible++] = entry.LeavesAtMs;
        }

        if (eligible == 0) return false;
        var take = Math.Min(eligible, Math.Max(1, _maxMembers / 10));
        Array.Sort(_evictionScratch, 0, eligible);
        var cutoff = _evictionScratch[take - 1];
        var removed = 0;
        foreach (var (key, entry) in _members)
        {
            if (removed == take) break;
            if (entry.LeavesAtMs > cutoff || !IsEvictable(key, admitting)) continue;
            _members.Remove(key);
            CollectionsMarshal.GetValueRefOrNullRef(_groups, key.Group).Distinct--;
            removed++;
        }

        Evicted += removed;
        return true;
    }

    private bool IsEvictable(MemberKey key, TGroup admitting)
    {
        if (key.Group.Equals(admitting)) return false;
        ref var group = ref CollectionsMarshal.GetValueRefOrNullRef(_groups, key.Group);
        return group.Distinct < group.StaticThreshold;
    }

    /// <summary>
    /// Moves to a new watermark, pruning once per <c>pruneEveryMs</c> of event time: a prune scans every entry, so
    /// expired entries linger at most that long (they only delay freeing memory; judging prunes exactly).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AdvanceTo(long watermarkMs)
    {
        if (watermarkMs >= _nextPruneAtMs)
        {
            Prune(watermarkMs);
            _nextPruneAtMs = watermarkMs + _pruneEveryMs;
        }
    }

    /// <summary>Removes members that left the window; O(tracked members), so callers amortize it.</summary>
    public void Prune(long watermarkMs) => Scan(watermarkMs, collectStats: false);

    /// <summary>
    /// Prunes precisely, then reports each group at or above its threshold that is new, rose in severity or
    /// grew since its last report. A group that drained below its threshold forgets its report, so a later
    /// sweep is reported again.
    /// </summary>
    public void Judge(long watermarkMs, Func<TGroup, int, WindowThreshold> threshold, List<WindowReport<TGroup, TMember>> reports)
    {
        _candidateCount = 0;
        if (!_mayJudge) return;
        foreach (var group in _groups.Keys)
        {
            ref var state = ref CollectionsMarshal.GetValueRefOrNullRef(_groups, group);
            state.Candidate = 0;
            if (state.Distinct >= state.StaticThreshold)
            {
                state.Candidate = AddCandidate(group);
            }
            else if (state.ReportedSeverity != 0)
            {
                // Distinct is an upper bound, so below the static threshold the window certainly drained.
                state.ForgetReport();
            }
        }

        // Reports are held only by candidates now (a group reported below its threshold was just forgotten).
        _mayJudge = _candidateCount > 0;

        // Nothing grew and nothing can have expired: the last judgement stands.
        if (_candidateCount == 0 || (!_grownSinceJudge && watermarkMs == _judgedWatermarkMs))
        {
            return;
        }

        _grownSinceJudge = false;
        _judgedWatermarkMs = watermarkMs;
        Scan(watermarkMs, collectStats: true);

        foreach (var stats in CollectionsMarshal.AsSpan(_candidates)[.._candidateCount])
        {
            ref var state = ref CollectionsMarshal.GetValueRefOrNullRef(_groups, stats.Group);
            if (Unsafe.IsNullRef(ref state))
            {
                continue;
            }

            var applies = threshold(stats.Group, state.StaticThreshold);
            if (state.Distinct < applies.Medium)
            {
                state.ForgetReport();
                continue;
            }

            // Everything the last report counted has left the window since: this is a new sweep, even if the
            // window refilled within the same batch and never looked drained to a judgement.
            if (state.ReportedSeverity != 0 && watermarkMs >= state.ReportedExpiresAtMs)
            {
                state.ForgetReport();
            }

            var severity = state.Distinct >= applies.High ? Severity.High : Severity.Medium;
            if (state.ReportedSeverity != 0 && severity <= state.ReportedSeverity && state.Distinct <= state.ReportedDistinct)
            {
                continue;
            }

            state.ReportedSeverity = severity > state.ReportedSeverity ? severity : state.ReportedSeverity;
            state.ReportedDistinct = state.Distinct;
            state.ReportedExpiresAtMs = stats.LatestLeavesAtMs;
            reports.Add(new WindowReport<TGroup, TMember>(
                stats.Group,
                severity,
                state.Distinct,
                state.Saturated,
                stats.Sample.AsSpan(0, stats.SampleCount).ToArray(),
                stats.Attempts,
                stats.EarliestLeavesAtMs - state.WindowMs,
                applies));
        }
    }

    /// <summary>Groups by their current distinct count (an upper bound between prunes), largest first.</summary>
    public List<(TGroup Group, int Distinct, int StaticThreshold)> Largest(int count)
    {
        var all = new List<(TGroup Group, int Distinct, int StaticThreshold)>(_groups.Count);
        foreach (var (group, state) in _groups)
        {
            if (state.Distinct > 0)
            {
                all.Add((group, state.Distinct, state.StaticThreshold));
            }
        }

        all.Sort(static (a, b) => b.Distinct.CompareTo(a.Distinct));
        if (all.Count > count)
        {
            all.RemoveRange(count, all.Count - count);
        }

        return all;
    }

    /// <summary>Visits each group with members (counts are upper bounds between prunes) without allocating.</summary>
    public void ForEachGroup<TState>(TState state, Action<TState, TGroup, int, int> visit)
    {
        foreach (var (group, entry) in _groups)
        {
            if (entry.Distinct > 0)
            {
                visit(state, group, entry.Distinct, entry.StaticThreshold);
            }
        }
    }

    private void Scan(long watermarkMs, bool collectStats)
    {
        // Removing during enumeration is allowed for Dictionary (it does not invalidate the enumerator).
        foreach (var (key, entry) in _members)
        {
            if (entry.LeavesAtMs <= watermarkMs)
            {
                _members.Remove(key);
                CollectionsMarshal.GetValueRefOrNullRef(_groups, key.Group).Distinct--;
            }
            else if (collectStats)
            {
                var candidate = CollectionsMarshal.GetValueRefOrNullRef(_groups, key.Group).Candidate;
                if (candidate != 0)
                {
                    _candidates[candidate - 1].Add(key.Member, entry);
                }
            }
        }

        foreach (var group in _groups.Keys)
        {
            ref var state = ref CollectionsMarshal.GetValueRefOrNullRef(_groups, group);
            if (state.Distinct == 0 && state.ReportedSeverity == 0)
            {
                _groups.Remove(group);
            }
        }
    }

    /// <returns>The 1-based candidate number.</returns>
    private int AddCandidate(TGroup group)
    {
        if (_candidateCount == _candidates.Count)
        {
            _candidates.Add(new GroupStats(_sampleSize));
        }

        _candidates[_candidateCount].Reset(group);
        return ++_candidateCount;
    }

    /// <summary>Per-judgement evidence for one candidate group.</summary>
    private sealed class GroupStats(int sampleSize)
    {
        public TGroup Group { get; private set; }
        public TMember[] Sample { get; } = new TMember[sampleSize];
        public int SampleCount { get; private set; }
        public int Attempts { get; private set; }
        public long EarliestLeavesAtMs { get; private set; }
        public long LatestLeavesAtMs { get; private set; }

        public void Reset(TGroup group)
        {
            Group = group;
            SampleCount = 0;
            Attempts = 0;
            EarliestLeavesAtMs = long.MaxValue;
            LatestLeavesAtMs = long.MinValue;
        }

        public void Add(TMember member, Member entry)
        {
            if (SampleCount < Sample.Length)
            {
                Sample[SampleCount++] = member;
            }

            Attempts += entry.Attempts;
            EarliestLeavesAtMs = Math.Min(EarliestLeavesAtMs, entry.LeavesAtMs);
            LatestLeavesAtMs = Math.Max(LatestLeavesAtMs, entry.LeavesAtMs);
        }
    }

    private struct Member
    {
        /// <summary>Event time at which this member drops out of the window: its newest sighting plus the window.</summary>
        public long LeavesAtMs;
        public int Attempts;
    }

    private struct GroupState
    {
        public int Distinct;
        public int StaticThreshold;
        public long WindowMs;
        public bool Saturated;
        public Severity ReportedSeverity;
        public int ReportedDistinct;

        /// <summary>When every member counted by the last report will have left the window (barring refreshes).</summary>
        public long ReportedExpiresAtMs;

        /// <summary>1-based index into the current judgement's candidates; 0 when not a candidate.</summary>
        public int Candidate;

        public void ForgetReport()
        {
            ReportedSeverity = 0;
            ReportedDistinct = 0;
            ReportedExpiresAtMs = 0;
            Saturated = false;
        }
    }

    private readonly struct MemberKey(TGroup group, TMember member) : IEquatable<MemberKey>
    {
        public TGroup Group { get; } = group;
        public TMember Member { get; } = member;

        public bool Equals(MemberKey other) => Group.Equals(other.Group) && Member.Equals(other.Member);

        public override bool Equals(object? obj) => obj is MemberKey other && Equals(other);

        // Multiplying by an odd constant spreads the group's bits so members of different groups do not collide.
        public override int GetHashCode() => (int)((uint)Group.GetHashCode() * 0x9E37_79B1u) ^ Member.GetHashCode();
    }
}

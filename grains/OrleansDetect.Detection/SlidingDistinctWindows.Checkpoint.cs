using System.Runtime.InteropServices;

namespace OrleansDetect.Detection;

/// <summary>The windows' checkpoint: every member still in its window and each group's report state.</summary>
internal sealed partial class SlidingDistinctWindows<TGroup, TMember>
{
    private const byte SaturatedFlag = 1;
    private const byte ReportedFlag = 2;

    /// <summary>
    /// Prunes to <paramref name="watermarkMs"/>, then writes the groups (with what was last reported of them, so a
    /// resumed sweep is not reported as new; a group never reported costs its key and one byte) and the members, each
    /// naming its group by index.
    /// </summary>
    public void WriteCheckpoint(CheckpointWriter writer, long watermarkMs, Action<CheckpointWriter, TGroup> writeGroup, Action<CheckpointWriter, TMember> writeMember)
    {
        if (watermarkMs != long.MinValue) Prune(watermarkMs);
        writer.UInt((ulong)Evicted);
        writer.UInt((ulong)_groups.Count);
        var index = new Dictionary<TGroup, int>(_groups.Count);
        foreach (var (group, state) in _groups)
        {
            index[group] = index.Count;
            writeGroup(writer, group);
            var reported = state.ReportedSeverity != 0;
            writer.Byte((byte)((state.Saturated ? SaturatedFlag : 0) | (reported ? ReportedFlag : 0)));
            if (!reported) continue;
            writer.Byte((byte)state.ReportedSeverity);
            writer.UInt((ulong)state.ReportedDistinct);
            writer.Time(state.ReportedExpiresAtMs, watermarkMs);
        }

        writer.UInt((ulong)_members.Count);
        foreach (var (key, entry) in _members)
        {
            writer.UInt((ulong)index[key.Group]);
            writeMember(writer, key.Member);
            writer.Time(entry.LeavesAtMs, watermarkMs);
            writer.UInt((ulong)entry.Attempts);
        }
    }

    /// <summary>
    /// Loads a checkpoint into empty windows. Members that have left the window by <paramref name="watermarkMs"/> are
    /// dropped, and the bounds hold whatever the checkpoint says: beyond them members are left out and their group
    /// marked saturated, as if they had arrived live.
    /// </summary>
    public void ReadCheckpoint(ref CheckpointReader reader, long watermarkMs, ReadGroup readGroup, ReadMember readMember, Func<TGroup, long> windowMs)
    {
        if (_members.Count != 0 || _groups.Count != 0) throw new InvalidOperationException("a checkpoint loads into empty windows only");
        Evicted = (long)reader.UInt();
        var groups = new TGroup[reader.Count(_maxMembers + 1)];
        for (var i = 0; i < groups.Length; i++)
        {
            var group = readGroup(ref reader);
            groups[i] = group;
            ref var state = ref CollectionsMarshal.GetValueRefOrAddDefault(_groups, group, out var duplicate);
            if (duplicate) throw new InvalidCheckpointException("a window group appears twice");
            state.StaticThreshold = _staticThreshold(group);
            state.WindowMs = windowMs(group);
            var flags = reader.Byte();
            if ((flags & ~(SaturatedFlag | ReportedFlag)) != 0) throw new InvalidCheckpointException($"window flags {flags}");
            state.Saturated = (flags & SaturatedFlag) != 0;
            if ((flags & ReportedFlag) == 0) continue;
            var severity = reader.Byte();
            if (severity is 0 or > (byte)Severity.High) throw new InvalidCheckpointException($"severity {severity}");
            state.ReportedSeverity = (Severity)severity;
            state.ReportedDistinct = reader.Count(int.MaxValue);
            state.ReportedExpiresAtMs = reader.Time(watermarkMs);
        }

        var members = reader.Count(int.MaxValue);
        for (var i = 0; i < members; i++)
        {
            var groupIndex = reader.Count(groups.Length - 1);
            var member = readMember(ref reader);
            var leavesAtMs = reader.Time(watermarkMs);
            var attempts = reader.Count(int.MaxValue);
            ref var state = ref CollectionsMarshal.GetValueRefOrNullRef(_groups, groups[groupIndex]);
            if (leavesAtMs <= watermarkMs) continue;
            if (state.Distinct >= _maxPerGroup || _members.Count >= _maxMembers)
            {
                state.Saturated = true;
                continue;
            }

            ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_members, new MemberKey(groups[groupIndex], member), out var known);
            if (known) throw new InvalidCheckpointException("a window member appears twice");
            entry.LeavesAtMs = leavesAtMs;
            entry.Attempts = Math.Max(1, attempts);
            state.Distinct++;
        }

        _grownSinceJudge = true;
        _mayJudge = true;
    }

    public delegate TGroup ReadGroup(ref CheckpointReader reader);

    public delegate TMember ReadMember(ref CheckpointReader reader);
}

using OrleansDetect.Grains.Hosting;

namespace OrleansDetect.Grains.Workloads;

/// <summary>Persisted state of one registry bucket.</summary>
[GenerateSerializer]
public sealed class WorkloadRegistryState
{
    [Id(0)] public List<WorkloadEntry> Workloads { get; set; } = [];
}

/// <summary>
/// One bucket of known workloads, sorted by name for paging. Registrations are answered from memory and written
/// from a timer, at most once per <see cref="WriteInterval"/> and only when something changed (one outstanding
/// write: the timer does not interleave). A crash of its silo forgets at most that interval's registrations; those
/// workloads register again on their next activation.
/// </summary>
public sealed class WorkloadRegistryGrain(
    [PersistentState("workloads", StorageNames.Baselines)] IPersistentState<WorkloadRegistryState> state,
    TimeProvider time) : Grain, IWorkloadRegistryGrain
{
    private static readonly TimeSpan WriteInterval = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, WorkloadEntry> _entries = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _names = new(StringComparer.Ordinal);
    private bool _dirty;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in state.State.Workloads)
        {
            _entries[entry.Workload] = entry;
            _names.Add(entry.Workload);
        }

        this.RegisterGrainTimer(static (grain, _) => grain.WriteIfChanged(), this, new GrainTimerCreationOptions(WriteInterval, WriteInterval));
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => WriteIfChanged();

    public Task Register(string workload, bool learned)
    {
        ArgumentNullException.ThrowIfNull(workload);
        if (_entries.TryGetValue(workload, out var known))
        {
            if (known.Learned == learned) return Task.CompletedTask;
            _entries[workload] = known with { Learned = learned };
        }
        else
        {
            _entries[workload] = new WorkloadEntry { Workload = workload, Learned = learned, RegisteredAt = time.GetUtcNow() };
            _names.Add(workload);
        }

        _dirty = true;
        return Task.CompletedTask;
    }

    public Task<bool> Contains(string workload) => Task.FromResult(_entries.ContainsKey(workload));

    public Task<int> Count() => Task.FromResult(_entries.Count);

    public Task<WorkloadEntry[]> List(string? prefix, bool? learned, string? after, int limit)
    {
        var page = new List<WorkloadEntry>(Math.Clamp(limit, 0, 1000));
        if (limit <= 0 || _names.Count == 0) return Task.FromResult(page.ToArray());

        // Start at the later of the cursor and the prefix; names sort ordinally, so the prefix's names are contiguous.
        var from = prefix is { Length: > 0 } && string.CompareOrdinal(prefix, after) > 0 ? prefix : after;
        IEnumerable<string> names = from is null ? _names
            : string.CompareOrdinal(from, _names.Max) > 0 ? []
            : _names.GetViewBetween(from, _names.Max!);
        foreach (var name in names)
        {
            if (after is not null && string.CompareOrdinal(name, after) <= 0) continue;
            if (prefix is { Length: > 0 } && !name.StartsWith(prefix, StringComparison.Ordinal)) break;
            var entry = _entries[name];
            if (learned is { } wanted && entry.Learned != wanted) continue;
            page.Add(entry);
            if (page.Count == limit) break;
        }

        return Task.FromResult(page.ToArray());
    }

    private async Task WriteIfChanged()
    {
        if (!_dirty) return;
        _dirty = false;
        state.State = new WorkloadRegistryState { Workloads = [.. _entries.Values] };
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Written again on the next tick.
            _dirty = true;
            throw;
        }
    }
}

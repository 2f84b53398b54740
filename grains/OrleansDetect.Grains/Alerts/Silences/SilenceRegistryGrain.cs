using OrleansDetect.Grains.Hosting;

namespace OrleansDetect.Grains.Alerts.Silences;

/// <summary>Persisted state of the silence registry.</summary>
[GenerateSerializer]
public sealed class SilenceRegistryState
{
    [Id(0)] public List<Silence> Silences { get; set; } = [];
    [Id(1)] public long Version { get; set; }
}

/// <summary>
/// Holds the cluster's silences. Every change is written before it is answered, so a silence a client was told about
/// survives a restart. Silences that ended more than <see cref="KeepExpired"/> ago are dropped on the next change.
/// </summary>
public sealed class SilenceRegistryGrain(
    [PersistentState("silences", StorageNames.Alerts)] IPersistentState<SilenceRegistryState> state,
    TimeProvider time) : Grain, ISilenceRegistryGrain
{
    /// <summary>How many silences the registry holds at most (expired ones included until they are dropped).</summary>
    public const int Capacity = 10_000;

    private static readonly TimeSpan KeepExpired = TimeSpan.FromDays(7);

    public async Task<bool> Add(Silence silence)
    {
        ArgumentNullException.ThrowIfNull(silence);
        var now = time.GetUtcNow();
        state.State.Silences.RemoveAll(s => now - s.EndsAt > KeepExpired);
        if (state.State.Silences.Count >= Capacity) return false;
        state.State.Silences.Add(silence);
        await Changed();
        return true;
    }

    public async Task<Silence?> Expire(string id, DateTimeOffset at)
    {
        var index = state.State.Silences.FindIndex(s => s.Id == id);
        if (index < 0) return null;
        var silence = state.State.Silences[index];
        if (silence.EndsAt <= at) return silence;
        silence = silence with { EndsAt = at < silence.StartsAt ? silence.StartsAt : at };
        state.State.Silences[index] = silence;
        await Changed();
        return silence;
    }

    public Task<SilenceSet?> GetIfChanged(long knownVersion) =>
        Task.FromResult(knownVersion == state.State.Version ? null : new SilenceSet(state.State.Version, [.. state.State.Silences]));

    private Task Changed()
    {
        // A wall-clock version: a registry whose storage was lost (memory storage after a restart) still moves every
        // silo's copy forward instead of repeating a version they hold.
        state.State.Version = Math.Max(state.State.Version + 1, time.GetUtcNow().ToUnixTimeMilliseconds());
        return state.WriteStateAsync();
    }
}

using Orleans.Storage;

namespace OrleansDetect.Grains.Workloads;

/// <summary>Writes of state whose grain is its record's only writer (a workload's baseline and windows checkpoint).</summary>
internal static class OwnedState
{
    /// <summary>
    /// Writes, and when the stored record no longer carries the etag this activation read (Redis lost its data, so the
    /// record is gone), learns the current etag and writes again: the grain's own state is the one to keep, and without
    /// this every later write of the activation would fail the same way until it deactivated.
    /// </summary>
    public static async Task WriteOwnedAsync<T>(this IPersistentState<T> state)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            var own = state.State;
            await state.ReadStateAsync();
            state.State = own;
            await state.WriteStateAsync();
        }
    }

    /// <summary>
    /// <see cref="WriteOwnedAsync{T}(IPersistentState{T})"/> straight to a storage provider, for state read only when needed.
    /// True when the record had been lost under this activation (and was written again).
    /// </summary>
    public static async Task<bool> WriteOwnedAsync<T>(this IGrainStorage storage, string stateName, GrainId grainId, IGrainState<T> state)
    {
        try
        {
            await storage.WriteStateAsync(stateName, grainId, state);
            state.RecordExists = true;
            return false;
        }
        catch (InconsistentStateException)
        {
            var own = state.State;
            await storage.ReadStateAsync(stateName, grainId, state);
            state.State = own;
            await storage.WriteStateAsync(stateName, grainId, state);
            state.RecordExists = true;
            return true;
        }
    }

    /// <summary>Clears, learning the current etag first if the record changed under this activation (as above).</summary>
    public static async Task ClearOwnedAsync<T>(this IGrainStorage storage, string stateName, GrainId grainId, IGrainState<T> state)
        where T : new()
    {
        try
        {
            await storage.ClearStateAsync(stateName, grainId, state);
        }
        catch (InconsistentStateException)
        {
            await storage.ReadStateAsync(stateName, grainId, state);
            if (state.RecordExists) await storage.ClearStateAsync(stateName, grainId, state);
        }

        state.RecordExists = false;
        state.State = new T();
    }
}

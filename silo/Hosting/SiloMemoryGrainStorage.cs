using Orleans.Storage;

namespace OrleansDetect.Silo.Hosting;

/// <summary>
/// Orleans' memory grain storage, which stops writing once the silo begins to stop. Its state lives in storage grains
/// of this silo, which shutdown deactivates together with every other grain: a write from a grain deactivating after
/// them fails (and is logged as a storage failure), and whatever a write kept would die with the process anyway.
/// Reads go through: a grain activated while the silo stops still sees what was written before.
/// </summary>
public sealed class SiloMemoryGrainStorage(IGrainStorage memory, IHostApplicationLifetime lifetime) : IGrainStorage
{
    private bool Stopping => lifetime.ApplicationStopping.IsCancellationRequested;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        memory.ReadStateAsync(stateName, grainId, grainState);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        memory.ReadStateAsync(stateName, grainId, grainState, cancellationToken);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Stopping ? Task.CompletedTask : memory.WriteStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        Stopping ? Task.CompletedTask : memory.WriteStateAsync(stateName, grainId, grainState, cancellationToken);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Stopping ? Task.CompletedTask : memory.ClearStateAsync(stateName, grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        Stopping ? Task.CompletedTask : memory.ClearStateAsync(stateName, grainId, grainState, cancellationToken);
}

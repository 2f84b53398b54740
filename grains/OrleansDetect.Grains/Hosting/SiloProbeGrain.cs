using Orleans.Concurrency;

namespace OrleansDetect.Grains.Hosting;

/// <inheritdoc cref="ISiloProbeGrain"/>
[StatelessWorker(1)]
public sealed class SiloProbeGrain : Grain, ISiloProbeGrain
{
    public Task Ping() => Task.CompletedTask;
}

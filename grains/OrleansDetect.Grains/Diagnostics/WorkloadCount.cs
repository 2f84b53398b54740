using Orleans.Metadata;
using OrleansDetect.Grains.Workloads;

namespace OrleansDetect.Grains.Diagnostics;

/// <summary>
/// Counts <see cref="WorkloadGrain"/> activations through the grain lifecycle for
/// <see cref="DetectTelemetry.ActiveWorkloads"/>: up when an activation becomes active, down when it deactivates.
/// </summary>
public sealed class WorkloadCount(GrainClassMap grainClasses) : IConfigureGrainContextProvider
{
    private static long _active;

    /// <summary>Workload activations active in this process (one silo per process outside tests).</summary>
    public static long Active => Interlocked.Read(ref _active);

    public bool TryGetConfigurator(GrainType grainType, GrainProperties properties, out IConfigureGrainContext configurator)
    {
        configurator = Subscriber.Instance;
        return grainClasses.TryGetGrainClass(grainType, out var grainClass) && grainClass == typeof(WorkloadGrain);
    }

    private sealed class Subscriber : IConfigureGrainContext, ILifecycleObserver
    {
        public static readonly Subscriber Instance = new();

        public void Configure(IGrainContext context) =>
            context.ObservableLifecycle.Subscribe(nameof(WorkloadCount), GrainLifecycleStage.Activate, this);

        public Task OnStart(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _active);
            return Task.CompletedTask;
        }

        public Task OnStop(CancellationToken cancellationToken)
        {
            Interlocked.Decrement(ref _active);
            return Task.CompletedTask;
        }
    }
}

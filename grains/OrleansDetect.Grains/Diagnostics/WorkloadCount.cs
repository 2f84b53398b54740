using Orleans.Metadata;
using OrleansDetect.Grains.Workloads;

namespace OrleansDetect.Grains.Diagnostics;

/// <summary>
/// Keeps <see cref="DetectTelemetry.ActiveWorkloads"/> in step with <see cref="WorkloadGrain"/> activations through the
/// grain lifecycle: up when an activation becomes active, down when it deactivates.
/// </summary>
public sealed class WorkloadCount(GrainClassMap grainClasses) : IConfigureGrainContextProvider
{
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
            DetectTelemetry.ActiveWorkloads.Add(1);
            return Task.CompletedTask;
        }

        public Task OnStop(CancellationToken cancellationToken)
        {
            DetectTelemetry.ActiveWorkloads.Add(-1);
            return Task.CompletedTask;
        }
    }
}

using OrleansDetect.Detection;

namespace OrleansDetect.Grains.Fleet;

/// <summary>How a workload grain hands its batch's signals to its silo's aggregator: one one-way call, nothing awaited.</summary>
public static class ReconSignalForwarder
{
    public static void Forward(IGrainFactory grains, WorkloadDetection detection)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(detection);
        if (detection.TakeSignals() is { } signals)
        {
            // One-way to a stateless worker: it lives on this silo and the call completes without waiting for it.
            _ = grains.GetGrain<IReconSignalGrain>(0).Send(signals);
        }
    }
}

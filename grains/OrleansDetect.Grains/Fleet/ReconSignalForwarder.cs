using OrleansDetect.Detection;

namespace OrleansDetect.Grains.Fleet;

/// <summary>How a workload grain hands its batch's signals to its silo's aggregator: one one-way call, nothing awaited.</summary>
public static class ReconSignalForwarder
{
    /// <param name="aggregator">The silo's aggregator (<c>GetGrain&lt;IReconSignalGrain&gt;(0)</c>), kept by the caller:
    /// resolving a reference costs Orleans a reflection pass over the interface.</param>
    public static void Forward(IReconSignalGrain aggregator, WorkloadDetection detection)
    {
        ArgumentNullException.ThrowIfNull(aggregator);
        ArgumentNullException.ThrowIfNull(detection);
        if (detection.TakeSignals() is { } signals)
        {
            // One-way to a stateless worker: it lives on this silo and the call completes without waiting for it.
            _ = aggregator.Send(signals);
        }
    }
}

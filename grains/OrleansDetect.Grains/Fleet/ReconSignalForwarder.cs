using OrleansDetect.Detection;

namespace OrleansDetect.Grains.Fleet;

/// <summary>
/// How a workload grain hands its batch's signals to its silo's aggregator: into the silo's <see cref="ReconSignalInbox"/>,
/// waking the aggregator with a one-way call only when the inbox was empty. Nothing is awaited.
/// </summary>
public static class ReconSignalForwarder
{
    /// <param name="aggregator">The silo's aggregator (<c>GetGrain&lt;IReconSignalGrain&gt;(0)</c>), resolved only when it
    /// has to be woken: resolving a reference costs Orleans a reflection pass over the interface.</param>
    public static void Forward(ReconSignalInbox inbox, Func<IReconSignalGrain> aggregator, WorkloadDetection detection)
    {
        ArgumentNullException.ThrowIfNull(inbox);
        ArgumentNullException.ThrowIfNull(aggregator);
        ArgumentNullException.ThrowIfNull(detection);
        if (detection.TakeSignals() is { } signals && inbox.Post(signals))
        {
            // One-way to a stateless worker: it lives on this silo and the call completes without waiting for it.
            _ = aggregator().Wake();
        }
    }
}

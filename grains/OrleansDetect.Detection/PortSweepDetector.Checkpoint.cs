namespace OrleansDetect.Detection;

public sealed partial class PortSweepDetector
{
    /// <summary>Writes the sweep windows (every failed destination still in its window) for <see cref="WorkloadDetection.WriteCheckpoint"/>.</summary>
    internal void WriteCheckpoint(CheckpointWriter writer, long watermarkMs)
    {
        _windows.WriteCheckpoint(writer, watermarkMs, static (w, key) =>
        {
            w.Byte((byte)key.Protocol);
            w.Byte((byte)key.Scope);
            w.UInt((ulong)key.Port);
        }, static (w, target) => w.Address(target));
        _sampled.WriteCheckpoint(writer, watermarkMs);
    }

    /// <summary>Drops entries that left their window by <paramref name="watermarkMs"/>.</summary>
    internal void Prune(long watermarkMs)
    {
        if (watermarkMs != long.MinValue) _windows.Prune(watermarkMs);
    }

    internal void ReadCheckpoint(ref CheckpointReader reader, long watermarkMs)
    {
        _windows.ReadCheckpoint(ref reader, watermarkMs, static (ref CheckpointReader r) =>
        {
            var protocol = (FlowProtocol)r.Byte();
            var scope = (TargetScope)r.Byte();
            var port = r.Count(ushort.MaxValue);
            if (scope is not (TargetScope.Public or TargetScope.Internal)) throw new InvalidCheckpointException($"sweep scope {(byte)scope}");
            return new PortKey(protocol, port, scope);
        }, static (ref CheckpointReader r) => r.Address(), key => key.Scope == TargetScope.Public ? _publicWindowMs : _internalWindowMs);
        _sampled.ReadCheckpoint(ref reader, watermarkMs);
        // Capacity already reported before the checkpoint is not reported again.
        _droppedReported = _windows.Evicted;
    }
}

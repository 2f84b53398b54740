namespace OrleansDetect.Detection;

public sealed partial class PortScanDetector
{
    /// <summary>Writes the scan windows (every failed port per destination still in its window) for <see cref="WorkloadDetection.WriteCheckpoint"/>.</summary>
    internal void WriteCheckpoint(CheckpointWriter writer, long watermarkMs)
    {
        _windows.WriteCheckpoint(writer, watermarkMs, static (w, target) =>
        {
            w.Byte((byte)target.Protocol);
            w.Address(target.Target);
        }, static (w, port) => w.UInt(port));
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
            return new ScanTarget(protocol, r.Address());
        }, static (ref CheckpointReader r) => (ushort)r.Count(ushort.MaxValue), _ => _windowMs);
        _sampled.ReadCheckpoint(ref reader, watermarkMs);
        _droppedReported = _windows.Evicted;
    }
}

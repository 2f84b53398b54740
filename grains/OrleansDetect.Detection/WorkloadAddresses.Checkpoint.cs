namespace OrleansDetect.Detection;

public sealed partial class WorkloadAddresses
{
    /// <summary>The heavy-hitter summary, so a resumed workload still knows its own address (and whose flows are inbound).</summary>
    internal void WriteCheckpoint(CheckpointWriter writer)
    {
        writer.UInt((ulong)_observed);
        writer.UInt((ulong)InboundEvents);
        for (var i = 0; i < Slots; i++)
        {
            writer.UInt((ulong)_counts[i]);
            if (_counts[i] > 0) writer.Address(_addresses[i]);
        }
    }

    internal void ReadCheckpoint(ref CheckpointReader reader)
    {
        _observed = (long)reader.UInt();
        InboundEvents = (long)reader.UInt();
        for (var i = 0; i < Slots; i++)
        {
            _counts[i] = (long)reader.UInt();
            if (_counts[i] < 0 || _counts[i] > _observed) throw new InvalidCheckpointException($"address count {_counts[i]} of {_observed} flows");
            _addresses[i] = _counts[i] > 0 ? reader.Address() : default;
        }
    }
}

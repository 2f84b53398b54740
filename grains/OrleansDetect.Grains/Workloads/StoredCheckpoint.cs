namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// A workload's windows checkpoint as stored (grain state "windows" beside its baseline). The detection code writes
/// and reads the bytes (<see cref="Detection.WorkloadDetection.WriteCheckpoint"/>, versioned by their first byte); this
/// wrapper only gives the storage provider a stable alias to key the type by.
/// </summary>
[GenerateSerializer, Alias("orleansdetect.windows")]
public sealed class CheckpointState
{
    [Id(0)] public byte[] Data { get; set; } = [];
}

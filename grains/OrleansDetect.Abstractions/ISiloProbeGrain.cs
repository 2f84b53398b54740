namespace OrleansDetect;

/// <summary>
/// A grain that always runs on the calling silo (a stateless worker): readiness asks it to prove this silo schedules
/// grain calls, without depending on any one grain that may be moving between silos.
/// </summary>
public interface ISiloProbeGrain : IGrainWithIntegerKey
{
    Task Ping();
}

using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OrleansDetect.Silo.Hosting;

/// <summary>
/// Ready when the silo is not shutting down, is an active cluster member, and runs grain calls (a local stateless
/// worker answers). Storage is the Redis check's business. No single grain is asked: while a grain that lived on a
/// dead silo moves, every silo would otherwise report unready at once and a load balancer would drop them all.
/// </summary>
public sealed class ClusterReadinessCheck(IGrainFactory grains, IHostApplicationLifetime lifetime, ISiloStatusOracle silo) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested) return HealthCheckResult.Unhealthy("shutting down");
        // Joining, or leaving on its own (declared dead, stopping): a load balancer must send nothing here.
        if (silo.CurrentStatus != SiloStatus.Active) return HealthCheckResult.Unhealthy("silo is " + silo.CurrentStatus);
        try
        {
            await grains.GetGrain<ISiloProbeGrain>(0).Ping().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("grain calls fail: " + ex.GetType().Name);
        }
    }
}

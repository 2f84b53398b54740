using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OrleansDetect.Silo.Hosting;

/// <summary>
/// Ready when the silo is not shutting down and a round trip to a persisted grain succeeds: that proves the
/// silo has joined the cluster and grain storage answers.
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
            await grains.GetGrain<IAlertFeedGrain>(IAlertFeedGrain.Key).GetRecent(0).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("cluster or storage unreachable: " + ex.GetType().Name);
        }
    }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OrleansDetect.Silo.Hosting;

/// <summary>Not ready while Redis (membership and grain storage) does not answer a ping.</summary>
public sealed class RedisReadinessCheck(RedisProbe probe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await probe.PingAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("Redis does not answer");
}

using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace OrleansDetect.Silo.Api;

/// <summary>Liveness (the process answers) and readiness (joined the cluster, storage reachable, not stopping).</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        return app;
    }
}

namespace OrleansDetect.Silo.Hosting;

/// <summary>
/// Whether this silo takes ingest right now: not while it is stopping (clients move to another gateway) and
/// not while Redis is unreachable (alerts could not be persisted, so a 202 would promise too much).
/// </summary>
public sealed class IngestAvailability(IHostApplicationLifetime lifetime, IServiceProvider services)
{
    private readonly RedisProbe? _redis = services.GetService<RedisProbe>();

    /// <summary>Null when ingest is open, otherwise why not.</summary>
    public string? Unavailable()
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested) return "This silo is shutting down; send to another gateway.";
        if (_redis is { IsReachable: false }) return "Redis (cluster membership and storage) is unreachable from this silo.";
        return null;
    }
}

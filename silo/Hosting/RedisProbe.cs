using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace OrleansDetect.Silo.Hosting;

/// <summary>Settings of the Redis reachability probe (<c>Redis:*</c>).</summary>
public sealed class RedisProbeOptions
{
    public const string SectionName = "Redis";

    /// <summary>How often Redis is pinged.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A ping slower than this counts as unreachable.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Pings the configured Redis every <see cref="RedisProbeOptions.ProbeInterval"/> on its own connection, which
/// reconnects by itself, so readiness and ingest follow Redis going away and coming back without a restart.
/// </summary>
public sealed partial class RedisProbe(string connectionString, IOptions<RedisProbeOptions> options, ILogger<RedisProbe> logger)
    : BackgroundService
{
    private ConnectionMultiplexer? _connection;
    private volatile bool _reachable;

    /// <summary>The last ping's verdict; false until the first ping answers.</summary>
    public bool IsReachable => _reachable;

    /// <summary>Pings now, bounded by the probe timeout.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        var connection = _connection;
        if (connection is null) return false;
        try
        {
            await connection.GetDatabase().PingAsync().WaitAsync(options.Value.ProbeTimeout, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        // Keep retrying in the background instead of failing when Redis is down at start.
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = (int)options.Value.ProbeTimeout.TotalMilliseconds;
        _connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        using var timer = new PeriodicTimer(options.Value.ProbeInterval);
        do
        {
            var reachable = await PingAsync(stoppingToken);
            if (reachable != _reachable)
            {
                if (reachable) LogReachable(logger);
                else LogUnreachable(logger);
                _reachable = reachable;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_connection is not null) await _connection.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis is reachable")]
    private static partial void LogReachable(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable: not ready, ingest answers 503 until it returns")]
    private static partial void LogUnreachable(ILogger logger);
}

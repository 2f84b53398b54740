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

    /// <summary>Connects and takes the first verdict before the host reports started, so a silo that comes up with
    /// Redis answering takes ingest at once instead of answering 503 until the first tick.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        // Keep retrying in the background instead of failing when Redis is down at start.
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = (int)options.Value.ProbeTimeout.TotalMilliseconds;
        _connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        await ProbeAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ProbeInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await ProbeAsync(stoppingToken);
        }
    }

    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var reachable = await PingAsync(cancellationToken);
        if (reachable != _reachable)
        {
            if (reachable) LogReachable(logger);
            else LogUnreachable(logger);
            _reachable = reachable;
        }
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

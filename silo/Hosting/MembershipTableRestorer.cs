using Microsoft.Extensions.Options;
using Orleans.Clustering.Redis;
using Orleans.Configuration;
using StackExchange.Redis;

namespace OrleansDetect.Silo.Hosting;

/// <summary>
/// Keeps a copy of the Redis membership table and puts it back when Redis loses it (restarted without persistence,
/// flushed, failed over to an empty replica), so the cluster keeps working instead of stalling on the next silo loss.
/// </summary>
/// <remarks>
/// Why here and not inside Orleans: Orleans 10.4.2's Redis table only writes its version field at start
/// (<c>InitializeMembershipTable</c>). Once the hash is gone every read throws ("the Redis membership table version is
/// missing"), every conditional write is refused and the heartbeat script fails on the missing row, while each silo
/// keeps serving from its last view — so the cluster looks healthy until a silo dies. Then no survivor can record a
/// suspicion or declare it dead, calls to its grains time out, and a stopping silo retries its status write until its
/// grace runs out. A fresh table with only a version row would not do either: <c>MembershipTableManager</c> treats a
/// newer view without its own row as "I was declared dead" and stops the silo, so a first silo re-creating the table
/// would kill the others. Putting back the rows Orleans itself last wrote (with the version moved on by one, so each
/// silo accepts the table as its successor view) is what a Redis restart with persistence would have given: every
/// silo finds its own row, heartbeats resume, and a dead silo is suspected and declared dead as usual. The restore is
/// one Lua script that writes only while the version field is absent, so several silos noticing at once restore once.
/// A change to the table in the last <see cref="RedisProbeOptions.ProbeInterval"/> before the loss is not in the copy:
/// a silo that joined in that second finds itself missing and stops (its host restarts it).
/// </remarks>
public sealed partial class MembershipTableRestorer(
    string connectionString,
    IOptions<ClusterOptions> cluster,
    IOptions<RedisClusteringOptions> clustering,
    IOptions<RedisProbeOptions> probe,
    ILogger<MembershipTableRestorer> logger) : BackgroundService
{
    private const string VersionField = "Version";

    private const string RestoreScript =
        """
        if redis.call('HEXISTS', KEYS[1], 'Version') == 1 then return 0 end
        redis.call('HSET', KEYS[1], unpack(ARGV))
        return 1
        """;

    private ConnectionMultiplexer? _connection;
    private HashEntry[]? _copy;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = (int)probe.Value.ProbeTimeout.TotalMilliseconds;
        _connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var key = clustering.Value.CreateRedisKey(cluster.Value);
        using var timer = new PeriodicTimer(probe.Value.ProbeInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CheckAsync(_connection!.GetDatabase(), key).WaitAsync(probe.Value.ProbeTimeout, stoppingToken);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // Redis unreachable: readiness says so (RedisProbe); the copy stays as it was.
            }
        }
    }

    private async Task CheckAsync(IDatabase db, RedisKey key)
    {
        var table = await db.HashGetAllAsync(key);
        var version = Array.Find(table, e => e.Name == VersionField);
        if (!version.Value.IsNull)
        {
            _copy = table;
            return;
        }

        // Orleans has not created the table yet (first start), or nothing to put back.
        if (_copy is null || table.Length != 0) return;
        var restoredVersion = (long)Array.Find(_copy, e => e.Name == VersionField).Value + 1;
        var values = new List<RedisValue>(_copy.Length * 2);
        foreach (var entry in _copy)
        {
            values.Add(entry.Name);
            values.Add(entry.Name == VersionField ? restoredVersion : entry.Value);
        }

        var written = (long)await db.ScriptEvaluateAsync(RestoreScript, [key], [.. values]);
        if (written != 1) return;
        LogRestored(logger, key.ToString(), _copy.Length - 1, restoredVersion);
        if (clustering.Value.EntryExpiry is { } expiry) await db.KeyExpireAsync(key, expiry);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_connection is not null) await _connection.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Redis membership table {Key} was gone (Redis restarted without its data?): put back this silo's copy of {Silos} silo rows at version {Version}")]
    private static partial void LogRestored(ILogger logger, string key, int silos, long version);
}

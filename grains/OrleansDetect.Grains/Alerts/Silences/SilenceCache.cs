using Microsoft.Extensions.Logging;

namespace OrleansDetect.Grains.Alerts.Silences;

/// <summary>
/// This silo's copy of the cluster's silences, which the alert grains match every detection against without a grain
/// call. <see cref="SilenceRefresh"/> replaces it every second when the registry changed; a change made through this
/// silo is applied at once.
/// </summary>
public sealed class SilenceCache
{
    private volatile Snapshot _current = new(long.MinValue, []);

    /// <summary>The registry version this copy holds (<see cref="long.MinValue"/> before the first read).</summary>
    public long Version => _current.Version;

    /// <summary>Every silence in this copy, as stored.</summary>
    public IEnumerable<Silence> Silences => _current.Matchers.Select(m => m.Silence);

    /// <summary>The id of the first silence active at <paramref name="now"/> that matches the finding, or null.</summary>
    public string? Match(Finding finding, DateTimeOffset now)
    {
        // One array read: a refresh swaps the whole array, never edits it.
        foreach (var matcher in _current.Matchers)
        {
            if (matcher.Matches(finding, now)) return matcher.Silence.Id;
        }

        return null;
    }

    /// <summary>Replaces the copy with a newer set (an older one, read by a slower refresh, is ignored).</summary>
    public void Update(SilenceSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var current = _current;
        if (set.Version <= current.Version && current.Version != long.MinValue) return;
        _current = new Snapshot(set.Version, Array.ConvertAll(set.Silences, s => new SilenceMatcher(s)));
    }

    private sealed record Snapshot(long Version, SilenceMatcher[] Matchers);
}

/// <summary>
/// Refreshes this silo's <see cref="SilenceCache"/> from the registry every second, from the moment the silo is active
/// until it begins to stop (so it never calls a grain while the runtime starts or shuts down).
/// </summary>
public sealed partial class SilenceRefresh(IGrainFactory grains, SilenceCache cache, TimeProvider time, ILogger<SilenceRefresh> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>How stale a silo's copy can be: a silence made on another silo applies here within this.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(SilenceRefresh), ServiceLifecycleStage.Active, Start, Stop);
    }

    private Task Start(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => Run(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task Stop(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task Run(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        var failures = 0;
        do
        {
            try
            {
                var changed = await grains.GetGrain<ISilenceRegistryGrain>(ISilenceRegistryGrain.Key)
                    .GetIfChanged(cache.Version).WaitAsync(CallTimeout, stoppingToken);
                if (changed is not null) cache.Update(changed);
                if (failures >= 30) LogRecovered(logger);
                failures = 0;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // While the registry moves after a silo loss; the last copy keeps applying.
                if (++failures == 30) LogStale(logger, ex.GetType().Name);
            }
        }
        while (await WaitNext(timer, stoppingToken));
    }

    private static async Task<bool> WaitNext(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The silence registry has not answered for 30 s ({ErrorType}); this silo keeps applying its last copy")]
    private static partial void LogStale(ILogger logger, string errorType);

    [LoggerMessage(Level = LogLevel.Information, Message = "The silence registry answers again")]
    private static partial void LogRecovered(ILogger logger);
}

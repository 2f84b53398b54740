using Microsoft.Extensions.Options;
using OrleansDetect.Grains.Diagnostics;
using OrleansDetect.Grains.Hosting;

namespace OrleansDetect.Grains.Alerts;

/// <summary>Persisted state of the alert feed: the newest alerts, oldest first.</summary>
[GenerateSerializer]
public sealed class AlertFeedState
{
    [Id(0)] public List<AlertRecord> Alerts { get; set; } = [];
}

/// <summary>
/// The newest alerts behind the RSS feed and the alerts API. A delivery is answered only once a write that contains
/// it has completed (group commit: every delivery that arrives while a write runs joins the next one, so a burst of
/// thousands of alerts costs a handful of writes). Nothing is acknowledged that a crash could lose: the alert grains
/// redeliver whatever was not confirmed.
/// </summary>
public sealed class AlertFeedGrain(
    [PersistentState("feed", StorageNames.Alerts)] IPersistentState<AlertFeedState> state,
    IOptions<AlertOptions> options) : Grain, IAlertFeedGrain
{
    // Each write stores the whole feed (FeedSize entries), so writes start at most this often: a burst's deliveries
    // gather into a few large batches instead of one write per handful. A lone delivery after a quiet spell is
    // written at once; under load a delivery waits up to this long more for its confirmation (reports never wait).
    private const int WriteSpacingMs = 25;

    private readonly int _capacity = options.Value.FeedSize;

    // The live list. Writes store a copy, so deliveries that interleave with a running write never touch what it is
    // serializing.
    private List<AlertRecord> _alerts = null!;
    private TaskCompletionSource? _nextWrite;
    private Task _writer = Task.CompletedTask;
    private long _lastWriteStarted;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _alerts = [.. state.State.Alerts];
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        // Nothing unwritten was acknowledged, so there is nothing to save; only let a running write finish.
        _writer.WaitAsync(cancellationToken);

    public async Task<SinkReceipt> Deliver(AlertRecord alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        using var span = DetectTelemetry.Source.StartActivity("rss.publish");
        span?.SetTag("alert.id", alert.Id);
        span?.SetTag("alert.version", alert.Version);
        var repeat = !Apply(alert);

        // A repeat still waits for a write: the earlier delivery's write may have failed.
        await NextWrite();
        if (!repeat) DetectTelemetry.SinkDeliveries.Add(1, DetectTelemetry.SinkTag(IAlertFeedGrain.SinkName));
        return SinkReceipt.Stored;
    }

    public Task<AlertRecord[]> GetRecent(int max)
    {
        var count = Math.Clamp(max, 0, _alerts.Count);
        var result = new AlertRecord[count];
        for (var i = 0; i < count; i++) result[i] = _alerts[_alerts.Count - 1 - i];
        return Task.FromResult(result);
    }

    /// <summary>
    /// Adds the alert or replaces its older version; false for a repeat (the feed has this version or a newer one).
    /// An alert older than everything in a full feed is not added (it would be trimmed at once) but is no repeat.
    /// </summary>
    private bool Apply(AlertRecord alert)
    {
        // A linear search over at most FeedSize entries: cheaper to keep than an index that must follow every trim.
        var at = _alerts.FindIndex(a => a.Id == alert.Id);
        if (at >= 0)
        {
            // An older version never overwrites a newer one (redeliveries arrive in any order).
            if (_alerts[at].Version >= alert.Version) return false;
            _alerts.RemoveAt(at);
        }
        else if (IsOlderThanEverything(alert))
        {
            // Pushed out already: an alert the feed trimmed must not come back on a late redelivery.
            return true;
        }

        _alerts.Add(alert);
        if (_alerts.Count > _capacity) _alerts.RemoveRange(0, _alerts.Count - _capacity);
        return true;
    }

    private bool IsOlderThanEverything(AlertRecord alert) => _alerts.Count >= _capacity && alert.UpdatedAt < _alerts[0].UpdatedAt;

    /// <summary>Completes when a write that started after this call has stored the feed.</summary>
    private Task NextWrite()
    {
        var batch = _nextWrite ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_writer.IsCompleted) _writer = WriteBatches();
        return batch.Task;
    }

    private async Task WriteBatches()
    {
        while (_nextWrite is { } batch)
        {
            var wait = _lastWriteStarted + WriteSpacingMs - Environment.TickCount64;
            if (wait > 0) await Task.Delay((int)wait);

            _lastWriteStarted = Environment.TickCount64;
            _nextWrite = null;
            state.State = new AlertFeedState { Alerts = [.. _alerts] };
            try
            {
                await state.WriteStateAsync();
                batch.SetResult();
            }
            catch (Exception ex)
            {
                // Every delivery in the batch fails and is redelivered by its alert grain.
                batch.SetException(ex);
            }
        }
    }
}

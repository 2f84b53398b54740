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
/// The newest alerts behind the RSS feed and the alerts API. Writes are batched behind a single outstanding
/// write (one a second at most): every alert is already persisted by its own alert grain, so a crash loses
/// at most the last second of feed entries, which their alert grains still hold.
/// </summary>
public sealed class AlertFeedGrain(
    [PersistentState("feed", StorageNames.Alerts)] IPersistentState<AlertFeedState> state,
    IOptions<AlertOptions> options) : Grain, IAlertFeedGrain
{
    private readonly int _capacity = options.Value.FeedSize;
    private bool _dirty;
    private Task _pendingWrite = Task.CompletedTask;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(FlushAsync, new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await _pendingWrite;
        await FlushAsync();
    }

    public Task Publish(AlertRecord alert)
    {
        using var span = DetectTelemetry.Source.StartActivity("rss.publish");
        span?.SetTag("alert.id", alert.Id);
        span?.SetTag("alert.version", alert.Version);
        var alerts = state.State.Alerts;
        // A linear search over at most FeedSize entries: cheaper to keep than an index that must follow every trim.
        var at = alerts.FindIndex(a => a.Id == alert.Id);
        if (at >= 0)
        {
            // An older version never overwrites a newer one (updates may arrive out of order after a retry).
            if (alerts[at].Version > alert.Version) return Task.CompletedTask;
            alerts.RemoveAt(at);
        }

        alerts.Add(alert);
        if (alerts.Count > _capacity) alerts.RemoveRange(0, alerts.Count - _capacity);
        _dirty = true;
        DetectTelemetry.SinkDeliveries.Add(1, DetectTelemetry.SinkTag("rss"));
        return Task.CompletedTask;
    }

    public Task<AlertRecord[]> GetRecent(int max)
    {
        var alerts = state.State.Alerts;
        var count = Math.Clamp(max, 0, alerts.Count);
        var result = new AlertRecord[count];
        for (var i = 0; i < count; i++) result[i] = alerts[alerts.Count - 1 - i];
        return Task.FromResult(result);
    }

    private Task FlushAsync()
    {
        if (!_dirty || !_pendingWrite.IsCompleted) return Task.CompletedTask;
        _dirty = false;
        _pendingWrite = WriteAsync();
        return _pendingWrite;
    }

    private async Task WriteAsync()
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            _dirty = true; // try again on the next tick
            throw;
        }
    }

}

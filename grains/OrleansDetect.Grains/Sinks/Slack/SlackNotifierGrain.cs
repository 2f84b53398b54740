using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansDetect.Grains.Diagnostics;

namespace OrleansDetect.Grains.Sinks.Slack;

/// <summary>
/// The cluster's one Slack notifier (<see cref="ISlackNotifierGrain.DefaultKey"/>): an in-memory queue,
/// deduplicated by alert id, drained by a timer at most one message per <see cref="SlackOptions.MinInterval"/>.
/// Nothing is persisted here: an alert grain re-enqueues every version it has not had acknowledged, so a
/// lost activation or a dropped entry delays a notification but does not lose it.
/// </summary>
public sealed partial class SlackNotifierGrain(
    IOptions<SlackOptions> options,
    TimeProvider time,
    ILogger<SlackNotifierGrain> logger) : Grain, ISlackNotifierGrain
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private readonly SlackOptions _options = options.Value;
    private readonly LinkedList<QueuedNotification> _queue = new();
    private readonly Dictionary<string, LinkedListNode<QueuedNotification>> _queuedById = new(StringComparer.Ordinal);

    // The newest version posted per alert (bounded, oldest forgotten first): an alert grain re-enqueues until its
    // acknowledgement lands, and a re-enqueue arriving between a post and that acknowledgement must not post again.
    private readonly Dictionary<string, int> _postedVersions = new(StringComparer.Ordinal);
    private readonly Queue<string> _postedOrder = new();

    private IGrainTimer? _sender;
    private LinkedListNode<QueuedNotification>? _inFlight;
    private DateTimeOffset _lastPostStartedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _notBefore = DateTimeOffset.MinValue;
    private int _consecutiveFailures;
    private long _dropped;
    private bool _warnedNotConfigured;

    public Task Enqueue(AlertRecord alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (!_options.IsConfigured)
        {
            if (!_warnedNotConfigured)
            {
                _warnedNotConfigured = true;
                LogNotConfigured(logger);
            }

            return Task.CompletedTask;
        }

        if (_postedVersions.TryGetValue(alert.Id, out var posted) && alert.Version <= posted)
        {
            // Already on Slack: only the acknowledgement is missing, so send that again instead of the message.
            _ = Acknowledge(alert);
            return Task.CompletedTask;
        }

        if (_queuedById.TryGetValue(alert.Id, out var queued))
        {
            if (alert.Version <= queued.Value.Alert.Version)
            {
                return Task.CompletedTask;
            }

            // A version the channel has not seen yet still announces the alert as new; once a version
            // is on its way, whatever replaces it is an escalation.
            var escalation = queued.Value.Escalation || queued == _inFlight;
            queued.Value = new QueuedNotification(alert, escalation, CallerTrace());
        }
        else
        {
            DropOldestWhileFull();
            // The alert grain enqueues new alerts and severity escalations only.
            _queuedById[alert.Id] = _queue.AddLast(new QueuedNotification(alert, Escalation: alert.Version > 1, CallerTrace()));
        }

        StartSender();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        StopSender();
        if (_queue.Count > 0)
        {
            LogLeftQueued(logger, _queue.Count);
        }

        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    private void StartSender()
    {
        if (_sender is not null)
        {
            return;
        }

        var now = time.GetUtcNow();
        var due = Max(TimeSpan.Zero, Max(_lastPostStartedAt + _options.MinInterval - now, _notBefore - now));
        // Interleave: Enqueue must never wait behind an HTTP post (with its Retry-After waits). Safe
        // because a grain timer never overlaps itself (one sender at a time) and every queue mutation runs
        // on this activation's scheduler between awaits, so no other turn sees a half-made change.
        _sender = this.RegisterGrainTimer(SendNext, new GrainTimerCreationOptions
        {
            DueTime = due,
            Period = _options.MinInterval > TimeSpan.Zero ? _options.MinInterval : TimeSpan.FromMilliseconds(1),
            Interleave = true,
            KeepAlive = true,
        });
    }

    private void StopSender()
    {
        _sender?.Dispose();
        _sender = null;
    }

    private async Task SendNext(CancellationToken cancellationToken)
    {
        if (_queue.First is not { } node)
        {
            // Idle: no ticks, so an idle notifier can be collected like any other grain.
            StopSender();
            return;
        }

        var now = time.GetUtcNow();
        if (now < _notBefore)
        {
            return;
        }

        // Timer ticks may come a little early; the spacing Slack asks for is a promise, not a hint.
        var wait = _lastPostStartedAt + _options.MinInterval - now;
        if (wait > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(wait, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (node.List is null || _queue.First != node)
            {
                return;
            }
        }

        var sent = node.Value;
        _inFlight = node;
        _lastPostStartedAt = time.GetUtcNow();
        // The post runs on a timer, long after the ingest request ended: it continues the trace of the alert
        // report that queued it (the HTTP call beneath it has the webhook path redacted). Untraced entries start
        // a trace of their own rather than whatever the timer's context last held.
        if (sent.Trace == default) Activity.Current = null;
        using var span = DetectTelemetry.Source.StartActivity("slack.post", ActivityKind.Internal, sent.Trace);
        span?.SetTag("alert.id", sent.Alert.Id);
        span?.SetTag("alert.version", sent.Alert.Version);
        span?.SetTag("slack.escalation", sent.Escalation);
        try
        {
            var payload = SlackMessageBuilder.Build(sent.Alert, sent.Escalation).ToJsonString();
            // A fresh typed client per post: the factory rotates pooled handlers (DNS changes) for us.
            var client = ServiceProvider.GetRequiredService<SlackWebhookClient>();
            await client.PostAsync(payload, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            DetectTelemetry.SinkFailures.Add(1, DetectTelemetry.SinkTag("slack"));
            OnPostFailed(node, sent, ex);
            return;
        }
        finally
        {
            _inFlight = null;
        }

        _consecutiveFailures = 0;
        DetectTelemetry.SinkDeliveries.Add(1, DetectTelemetry.SinkTag("slack"));
        if (node.List is not null && node.Value.Alert.Version == sent.Alert.Version)
        {
            Remove(node);
        }

        LogPosted(logger, sent.Alert.Id, sent.Alert.Version, sent.Escalation);
        RememberPosted(sent.Alert);
        await Acknowledge(sent.Alert);
    }

    private void OnPostFailed(LinkedListNode<QueuedNotification> node, QueuedNotification sent, Exception ex)
    {
        _consecutiveFailures++;
        var backoff = TimeSpan.FromTicks(Math.Min(
            MaxBackoff.Ticks,
            FirstBackoff.Ticks * (1L << Math.Min(_consecutiveFailures - 1, 16))));
        _notBefore = time.GetUtcNow() + backoff;

        // A version that replaced this one mid-post was marked an escalation; the post failed, so the
        // channel still has not seen the alert.
        if (node.List is not null && !sent.Escalation && node.Value.Escalation)
        {
            node.Value = node.Value with { Escalation = false };
        }

        // To the back: one message Slack keeps refusing must not hold up the others.
        if (node.List is not null && _queue.Count > 1)
        {
            _queue.Remove(node);
            _queue.AddLast(node);
        }

        // The exception text is ours (SlackDeliveryException) or a timeout's; neither carries the URL.
        LogPostFailed(logger, sent.Alert.Id, sent.Alert.Version, _consecutiveFailures, backoff, ex.GetType().Name, ex.Message);
    }

    private void RememberPosted(AlertRecord alert)
    {
        if (!_postedVersions.ContainsKey(alert.Id))
        {
            _postedOrder.Enqueue(alert.Id);
            while (_postedOrder.Count > _options.MaxQueue) _postedVersions.Remove(_postedOrder.Dequeue());
        }

        _postedVersions[alert.Id] = alert.Version;
    }

    private async Task Acknowledge(AlertRecord alert)
    {
        if (!AlertIds.TryParse(alert.Id, out var grainKey, out _))
        {
            LogUnparsableId(logger, alert.Id);
            return;
        }

        try
        {
            await GrainFactory.GetGrain<IAlertGrain>(grainKey).AcknowledgeSlack(alert.Id, alert.Version);
        }
        catch (Exception ex)
        {
            // The alert grain will enqueue this version again: Slack may see it twice, never zero times.
            LogAcknowledgeFailed(logger, ex, alert.Id, alert.Version);
        }
    }

    private void DropOldestWhileFull()
    {
        var dropped = 0;
        var candidate = _queue.First;
        while (_queue.Count >= _options.MaxQueue && candidate is not null)
        {
            var next = candidate.Next;
            if (candidate != _inFlight)
            {
                Remove(candidate);
                dropped++;
            }

            candidate = next;
        }

        if (dropped > 0)
        {
            _dropped += dropped;
            LogDropped(logger, _options.MaxQueue, dropped, _dropped);
        }
    }

    private void Remove(LinkedListNode<QueuedNotification> node)
    {
        _queue.Remove(node);
        _queuedById.Remove(node.Value.Alert.Id);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>The span context of the Enqueue call (the alert grain's hand-off), or default when untraced.</summary>
    private static ActivityContext CallerTrace() => Activity.Current?.Context ?? default;

    private sealed record QueuedNotification(AlertRecord Alert, bool Escalation, ActivityContext Trace);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack is not configured (Slack:WebhookUrl); alert notifications are not sent to Slack")]
    private static partial void LogNotConfigured(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Posted alert {AlertId} v{Version} to Slack (escalation: {Escalation})")]
    private static partial void LogPosted(ILogger logger, string alertId, int version, bool escalation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack post of alert {AlertId} v{Version} failed after all attempts ({ConsecutiveFailures} in a row); retrying in {Backoff}: {ErrorType}: {Error}")]
    private static partial void LogPostFailed(ILogger logger, string alertId, int version, int consecutiveFailures, TimeSpan backoff, string errorType, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack queue full ({MaxQueue}): dropped the {Dropped} oldest notification(s), {TotalDropped} since activation; their alert grains will enqueue them again")]
    private static partial void LogDropped(ILogger logger, int maxQueue, int dropped, long totalDropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not acknowledge Slack delivery of alert {AlertId} v{Version}; it may be posted again")]
    private static partial void LogAcknowledgeFailed(ILogger logger, Exception exception, string alertId, int version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Posted alert {AlertId} has no parsable id; it cannot be acknowledged")]
    private static partial void LogUnparsableId(ILogger logger, string alertId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack notifier deactivating with {Count} notification(s) queued; their alert grains will enqueue them again")]
    private static partial void LogLeftQueued(ILogger logger, int count);
}

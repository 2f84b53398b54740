using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansDetect.Grains.Alerts;
using OrleansDetect.Grains.Diagnostics;

namespace OrleansDetect.Grains.Sinks.Slack;

/// <summary>
/// The cluster's one Slack notifier (<see cref="ISlackNotifierGrain.DefaultKey"/>): an in-memory queue,
/// deduplicated by alert id, drained by a timer at most one message per <see cref="SlackOptions.MinInterval"/>. When
/// <see cref="SlackOptions.DigestAfter"/> or more notifications wait, the next message is a digest of up to
/// <see cref="SlackOptions.DigestMaxAlerts"/> of them, so a burst is a few messages, not a queue minutes long.
/// Nothing is persisted here: each post is confirmed to its alert grain, whose outbox delivers again whatever was
/// not confirmed, so a lost activation or a dropped entry delays a notification but does not lose it.
/// </summary>
public sealed partial class SlackNotifierGrain(
    IOptions<SlackOptions> options,
    AlertLinks links,
    TimeProvider time,
    ILogger<SlackNotifierGrain> logger) : Grain, ISlackNotifierGrain
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private readonly SlackOptions _options = options.Value;
    private readonly LinkedList<QueuedNotification> _queue = new();
    private readonly Dictionary<string, LinkedListNode<QueuedNotification>> _queuedById = new(StringComparer.Ordinal);

    // The newest version posted per alert and its severity (bounded, oldest forgotten first): an alert grain
    // re-enqueues until its acknowledgement lands, and a re-enqueue arriving between a post and that acknowledgement
    // must not post again; the severity tells an escalation from an update.
    private readonly Dictionary<string, (int Version, Severity Severity)> _postedVersions = new(StringComparer.Ordinal);
    private readonly Queue<string> _postedOrder = new();

    private IGrainTimer? _sender;
    private readonly List<LinkedListNode<QueuedNotification>> _inFlight = [];
    private DateTimeOffset _lastPostStartedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _notBefore = DateTimeOffset.MinValue;
    private int _consecutiveFailures;
    private long _dropped;
    private bool _warnedNotConfigured;

    public Task<SinkReceipt> Deliver(AlertRecord alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (!_options.IsConfigured)
        {
            if (!_warnedNotConfigured)
            {
                _warnedNotConfigured = true;
                LogNotConfigured(logger);
            }

            return Task.FromResult(SinkReceipt.Stored);
        }

        if (_postedVersions.TryGetValue(alert.Id, out var posted) && alert.Version <= posted.Version)
        {
            // Already on Slack: only the confirmation went missing.
            return Task.FromResult(SinkReceipt.Stored);
        }

        if (_queuedById.TryGetValue(alert.Id, out var queued))
        {
            if (alert.Version <= queued.Value.Alert.Version)
            {
                return Task.FromResult(SinkReceipt.Queued);
            }

            // A version the channel has not seen yet still announces the alert as new (a version on its way is
            // remembered once posted, and what replaces it is then told apart from it).
            queued.Value = new QueuedNotification(alert, queued.Value.Seen, CallerTrace());
        }
        else
        {
            DropOldestWhileFull();
            // The alert grain enqueues new alerts, escalations and incident updates: a later version that was never
            // posted here was announced before this activation.
            _queuedById[alert.Id] = _queue.AddLast(new QueuedNotification(alert, Seen: alert.Version > 1, CallerTrace()));
        }

        StartSender();
        return Task.FromResult(SinkReceipt.Queued);
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
        if (_queue.First is not { } first)
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

            if (first.List is null || _queue.First != first)
            {
                return;
            }
        }

        // A burst goes out as one digest; the sample below is what this post carries.
        var batchSize = _queue.Count >= _options.DigestAfter ? Math.Min(_queue.Count, _options.DigestMaxAlerts) : 1;
        var node = first;
        for (var i = 0; i < batchSize && node is not null; i++, node = node.Next) _inFlight.Add(node);
        var sent = _inFlight.Select(n => n.Value).ToArray();
        var notices = Array.ConvertAll(sent, NoticeOf);
        var left = _queue.Count - sent.Length;
        _lastPostStartedAt = time.GetUtcNow();
        // The post runs on a timer, long after the ingest request ended: it continues the trace of the alert
        // report that queued its first alert (the HTTP call beneath it has the webhook path redacted). Untraced
        // entries start a trace of their own rather than whatever the timer's context last held.
        if (sent[0].Trace == default) Activity.Current = null;
        using var span = DetectTelemetry.Source.StartActivity("slack.post", ActivityKind.Internal, sent[0].Trace);
        span?.SetTag("alert.id", sent[0].Alert.Id);
        span?.SetTag("alert.version", sent[0].Alert.Version);
        span?.SetTag("slack.notice", notices[0].ToString());
        span?.SetTag("slack.alerts", sent.Length);
        try
        {
            var payload = sent.Length == 1
                ? SlackMessageBuilder.Build(sent[0].Alert, notices[0], links.SlackPage(sent[0].Alert.Id))
                : SlackMessageBuilder.BuildDigest(sent.Select((q, i) => (q.Alert, notices[i])).ToArray(), left, links);
            // A fresh typed client per post: the factory rotates pooled handlers (DNS changes) for us.
            var client = ServiceProvider.GetRequiredService<SlackWebhookClient>();
            await client.PostAsync(payload.ToJsonString(), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _inFlight.Clear();
            return;
        }
        catch (Exception ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            DetectTelemetry.SinkFailures.Add(1, DetectTelemetry.SinkTag(ISlackNotifierGrain.SinkName));
            var failed = _inFlight.ToArray();
            _inFlight.Clear();
            OnPostFailed(failed, sent[0].Alert, sent.Length, ex);
            return;
        }

        var posted = _inFlight.ToArray();
        _inFlight.Clear();
        _consecutiveFailures = 0;
        DetectTelemetry.SinkDeliveries.Add(sent.Length, DetectTelemetry.SinkTag(ISlackNotifierGrain.SinkName));
        for (var i = 0; i < posted.Length; i++)
        {
            if (posted[i].List is not null && posted[i].Value.Alert.Version == sent[i].Alert.Version)
            {
                Remove(posted[i]);
            }

            RememberPosted(sent[i].Alert);
        }

        if (sent.Length > 1) LogDigestPosted(logger, sent.Length, left);
        else LogPosted(logger, sent[0].Alert.Id, sent[0].Alert.Version, notices[0]);
        await Task.WhenAll(sent.Select(q => Confirm(q.Alert)));
    }

    private void OnPostFailed(LinkedListNode<QueuedNotification>[] nodes, AlertRecord first, int alerts, Exception ex)
    {
        _consecutiveFailures++;
        var backoff = TimeSpan.FromTicks(Math.Min(
            MaxBackoff.Ticks,
            FirstBackoff.Ticks * (1L << Math.Min(_consecutiveFailures - 1, 16))));
        _notBefore = time.GetUtcNow() + backoff;

        // To the back: one message Slack keeps refusing must not hold up the others.
        if (nodes.Length == 1 && nodes[0].List is not null && _queue.Count > 1)
        {
            _queue.Remove(nodes[0]);
            _queue.AddLast(nodes[0]);
        }

        // The exception text is ours (SlackDeliveryException) or a timeout's; neither carries the URL.
        LogPostFailed(logger, first.Id, first.Version, alerts, _consecutiveFailures, backoff, ex.GetType().Name, ex.Message);
    }

    private void RememberPosted(AlertRecord alert)
    {
        if (!_postedVersions.ContainsKey(alert.Id))
        {
            _postedOrder.Enqueue(alert.Id);
            while (_postedOrder.Count > _options.MaxQueue) _postedVersions.Remove(_postedOrder.Dequeue());
        }

        _postedVersions[alert.Id] = (alert.Version, alert.Severity);
    }

    /// <summary>What a post of <paramref name="queued"/> tells the channel, against the version it last saw posted.</summary>
    private SlackNotice NoticeOf(QueuedNotification queued)
    {
        var alert = queued.Alert;
        if (_postedVersions.TryGetValue(alert.Id, out var posted)) return alert.Severity > posted.Severity ? SlackNotice.Escalation : SlackNotice.Update;
        if (!queued.Seen) return SlackNotice.New;
        // Posted before this activation, severity unknown: only an incident's updates keep their severity.
        return alert.Type == DetectionTypes.ReconIncident ? SlackNotice.Update : SlackNotice.Escalation;
    }

    private async Task Confirm(AlertRecord alert)
    {
        if (!AlertIds.TryParse(alert.Id, out var grainKey, out _))
        {
            LogUnparsableId(logger, alert.Id);
            return;
        }

        try
        {
            await GrainFactory.GetGrain<IAlertGrain>(grainKey).Confirm(alert.Id, ISlackNotifierGrain.SinkName, alert.Version);
        }
        catch (Exception ex)
        {
            // The alert grain delivers this version again; having posted it, we answer Stored without a second post.
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
            if (!_inFlight.Contains(candidate))
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

    /// <param name="Seen">The channel saw an earlier version of the alert (posted by an earlier activation, when not remembered).</param>
    private sealed record QueuedNotification(AlertRecord Alert, bool Seen, ActivityContext Trace);

    // Debug: the startup summary already says Slack is off; alert grains deliver nothing to a sink that is off.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Slack is not configured (Slack:WebhookUrl); alert notifications are not sent to Slack")]
    private static partial void LogNotConfigured(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Posted alert {AlertId} v{Version} to Slack ({Notice})")]
    private static partial void LogPosted(ILogger logger, string alertId, int version, SlackNotice notice);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Posted a digest of {Count} alerts to Slack ({Left} still queued)")]
    private static partial void LogDigestPosted(ILogger logger, int count, int left);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack post of alert {AlertId} v{Version} ({Alerts} alert(s) in the message) failed after all attempts ({ConsecutiveFailures} in a row); retrying in {Backoff}: {ErrorType}: {Error}")]
    private static partial void LogPostFailed(ILogger logger, string alertId, int version, int alerts, int consecutiveFailures, TimeSpan backoff, string errorType, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack queue full ({MaxQueue}): dropped the {Dropped} oldest notification(s), {TotalDropped} since activation; their alert grains will deliver them again")]
    private static partial void LogDropped(ILogger logger, int maxQueue, int dropped, long totalDropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not confirm Slack delivery of alert {AlertId} v{Version} to its alert grain; it will ask again")]
    private static partial void LogAcknowledgeFailed(ILogger logger, Exception exception, string alertId, int version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Posted alert {AlertId} has no parsable id; it cannot be acknowledged")]
    private static partial void LogUnparsableId(ILogger logger, string alertId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack notifier deactivating with {Count} notification(s) queued; their alert grains will deliver them again")]
    private static partial void LogLeftQueued(ILogger logger, int count);
}

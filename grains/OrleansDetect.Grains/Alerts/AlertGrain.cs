using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansDetect.Grains.Diagnostics;
using OrleansDetect.Grains.Hosting;
using OrleansDetect.Grains.Sinks.Slack;

namespace OrleansDetect.Grains.Alerts;

/// <summary>Persisted state of one alert key's alerts.</summary>
[GenerateSerializer]
public sealed class AlertGrainState
{
    /// <summary>How many alerts this fingerprint has opened; the current one's id ends in it.</summary>
    [Id(0)] public int Sequence { get; set; }
    [Id(1)] public AlertRecord? Current { get; set; }
    /// <summary>Earlier alerts of this fingerprint, newest last, so their ids keep resolving.</summary>
    [Id(2)] public List<AlertRecord> History { get; set; } = [];
    /// <summary>The version of <see cref="Current"/> Slack still has to confirm, or 0.</summary>
    [Id(3)] public int SlackPendingVersion { get; set; }
}

/// <summary>
/// Owns the alerts of one fingerprint: the first detection opens an alert, later ones within the suppression
/// interval update it, a severity escalation notifies again, and a detection after the interval opens a new
/// alert. Every change is persisted before <see cref="Report"/> returns; Slack delivery is tracked until the
/// notifier confirms it (at least once).
/// </summary>
public sealed partial class AlertGrain(
    [PersistentState("alert", StorageNames.Alerts)] IPersistentState<AlertGrainState> state,
    IOptions<AlertOptions> alertOptions,
    IOptions<SlackOptions> slackOptions,
    TimeProvider time,
    ILogger<AlertGrain> logger) : Grain, IAlertGrain
{
    private const int HistoryLimit = 20;
    private const int SampleLimit = 20;
    private readonly bool _slackEnabled = !string.IsNullOrWhiteSpace(slackOptions.Value.WebhookUrl);
    private IGrainTimer? _redelivery;

    // The alert.report span that last asked for a Slack post: the notifier's post joins that trace. Memory only:
    // a redelivery after reactivation starts a trace of its own (it still carries the alert id).
    private ActivityContext _notifyTrace;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_slackEnabled && state.State.SlackPendingVersion > 0) StartRedelivery(dueNow: true);
        return Task.CompletedTask;
    }

    public async Task<AlertRecord> Report(Finding detection)
    {
        using var span = DetectTelemetry.Source.StartActivity("alert.report");
        var now = time.GetUtcNow();
        var seenAt = DateTimeOffset.FromUnixTimeMilliseconds(detection.WindowEndMs);
        var current = state.State.Current;
        bool notify;
        if (current is null || seenAt - current.LastSeen > alertOptions.Value.SuppressionInterval)
        {
            if (current is not null)
            {
                state.State.History.Add(current);
                if (state.State.History.Count > HistoryLimit) state.State.History.RemoveAt(0);
            }

            var sequence = ++state.State.Sequence;
            current = new AlertRecord
            {
                Id = AlertIds.Format(this.GetPrimaryKeyString(), sequence),
                Fingerprint = detection.Key.Fingerprint,
                Title = AlertText.Title(detection),
                Severity = detection.Severity,
                FirstSeen = DateTimeOffset.FromUnixTimeMilliseconds(detection.WindowStartMs),
                LastSeen = seenAt,
                RaisedAt = now,
                UpdatedAt = now,
                Updates = 1,
                Version = 1,
                Evidence = detection,
            };
            notify = true;
            LogOpened(logger, current.Id, detection.Type, detection.Severity);
        }
        else
        {
            var merged = Merge(current.Evidence, detection);
            notify = merged.Severity > current.Severity;
            current = current with
            {
                Title = AlertText.Title(merged),
                Severity = merged.Severity,
                FirstSeen = Min(current.FirstSeen, DateTimeOffset.FromUnixTimeMilliseconds(detection.WindowStartMs)),
                LastSeen = Max(current.LastSeen, seenAt),
                UpdatedAt = now,
                Updates = current.Updates + 1,
                Version = current.Version + 1,
                Evidence = merged,
            };
            if (notify) LogEscalated(logger, current.Id, merged.Severity);
        }

        Record(span, current, detection, notify);
        state.State.Current = current;
        if (notify && _slackEnabled)
        {
            state.State.SlackPendingVersion = current.Version;
            _notifyTrace = span?.Context ?? Activity.Current?.Context ?? default;
        }

        await state.WriteStateAsync();

        await GrainFactory.GetGrain<IAlertFeedGrain>(IAlertFeedGrain.Key).Publish(current);
        if (notify && _slackEnabled) StartRedelivery(dueNow: true);
        return current;
    }

    public Task<AlertRecord?> Get(string alertId)
    {
        if (state.State.Current is { } current && current.Id == alertId) return Task.FromResult<AlertRecord?>(current);
        return Task.FromResult(state.State.History.Find(a => a.Id == alertId));
    }

    public async Task AcknowledgeSlack(string alertId, int version)
    {
        if (state.State.Current?.Id != alertId || state.State.SlackPendingVersion == 0 || version < state.State.SlackPendingVersion) return;
        state.State.SlackPendingVersion = 0;
        _redelivery?.Dispose();
        _redelivery = null;
        await state.WriteStateAsync();
    }

    /// <summary>Queues the pending version with the notifier now, and again every redelivery interval until confirmed.</summary>
    private void StartRedelivery(bool dueNow)
    {
        var period = alertOptions.Value.RedeliveryInterval;
        // KeepAlive: an alert Slack has not confirmed keeps its grain active, so redelivery does not stop when the
        // grain would otherwise be collected as idle; the timer is disposed once Slack acknowledges.
        var options = new GrainTimerCreationOptions(dueNow ? TimeSpan.Zero : period, period) { Interleave = true, KeepAlive = true };
        if (_redelivery is null) _redelivery = this.RegisterGrainTimer(EnqueueForSlack, options);
        else _redelivery.Change(options.DueTime, options.Period);
    }

    private async Task EnqueueForSlack(CancellationToken cancellationToken)
    {
        if (state.State.SlackPendingVersion == 0 || state.State.Current is not { } current) return;
        // A timer tick has no caller: parent the hand-off on the report that asked for it, so Orleans carries
        // that trace to the notifier.
        using var span = DetectTelemetry.Source.StartActivity("slack.enqueue", ActivityKind.Producer, _notifyTrace);
        span?.SetTag("alert.id", current.Id);
        span?.SetTag("alert.version", current.Version);
        try
        {
            await GrainFactory.GetGrain<ISlackNotifierGrain>(ISlackNotifierGrain.DefaultKey).Enqueue(current);
        }
        catch (Exception ex)
        {
            // The timer tries again; detection never waits on Slack.
            LogEnqueueFailed(logger, ex, current.Id);
        }
    }

    /// <summary>Counts the outcome and describes it on the report's span (ids and words, never addresses).</summary>
    private static void Record(Activity? span, AlertRecord current, Finding detection, bool notify)
    {
        var type = new KeyValuePair<string, object?>("alert.type", detection.Type);
        var severity = new KeyValuePair<string, object?>("alert.severity", current.Severity.Name());
        if (current.Version == 1) DetectTelemetry.AlertsRaised.Add(1, type, severity);
        else if (notify) DetectTelemetry.AlertsEscalated.Add(1, type, severity);
        else DetectTelemetry.DetectionsSuppressed.Add(1, new KeyValuePair<string, object?>("reason", "dedup"), type);

        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("alert.id", current.Id);
            span.SetTag(type.Key, type.Value);
            span.SetTag(severity.Key, severity.Value);
            span.SetTag("alert.version", current.Version);
            span.SetTag("alert.notify", notify);
        }
    }

    /// <summary>Folds a new detection into the open alert's evidence: peak counts, widest window, union of samples.</summary>
    private static Finding Merge(Finding open, Finding next)
    {
        var samples = open.SampleTargets.Concat(next.SampleTargets).Distinct(StringComparer.Ordinal).Take(SampleLimit).ToArray();
        var nextIsNewer = next.WindowEndMs >= open.WindowEndMs;
        var latest = nextIsNewer ? next : open;
        return latest with
        {
            Severity = open.Severity > next.Severity ? open.Severity : next.Severity,
            DistinctTargets = Math.Max(open.DistinctTargets, next.DistinctTargets),
            FailedAttempts = Math.Max(open.FailedAttempts, next.FailedAttempts),
            SampleTargets = samples,
            WindowStartMs = Math.Min(open.WindowStartMs, next.WindowStartMs),
            WindowEndMs = Math.Max(open.WindowEndMs, next.WindowEndMs),
            DuringLearning = open.DuringLearning || next.DuringLearning,
        };
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} opened: {Type} {Severity}")]
    private static partial void LogOpened(ILogger logger, string alertId, string type, Severity severity);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} escalated to {Severity}")]
    private static partial void LogEscalated(ILogger logger, string alertId, Severity severity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not queue alert {AlertId} for Slack; will retry")]
    private static partial void LogEnqueueFailed(ILogger logger, Exception exception, string alertId);
}

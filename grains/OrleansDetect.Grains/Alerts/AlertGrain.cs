using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansDetect.Detection;
using OrleansDetect.Grains.Alerts.Silences;
using OrleansDetect.Grains.Diagnostics;
using OrleansDetect.Grains.Hosting;

namespace OrleansDetect.Grains.Alerts;

/// <summary>Persisted state of one alert key's alerts.</summary>
[GenerateSerializer]
public sealed class AlertGrainState
{
    /// <summary>How many alerts this key has opened (0.1 ended ids in it; see <see cref="LastNumber"/>).</summary>
    [Id(0)] public int Sequence { get; set; }
    [Id(1)] public AlertRecord? Current { get; set; }
    /// <summary>Earlier alerts of this key, newest last, so their ids keep resolving.</summary>
    [Id(2)] public List<AlertRecord> History { get; set; } = [];
    /// <summary>Written by 0.1 and issue-8 silos: the version Slack still had to confirm. Read into <see cref="Outbox"/>.</summary>
    [Id(3)] public int SlackPendingVersion { get; set; }
    /// <summary>What each sink still has to confirm: one entry per (sink, alert id), the newest version owed.</summary>
    [Id(4)] public List<PendingDelivery> Outbox { get; set; } = [];
    /// <summary>The number the newest alert id ends in (<see cref="AlertIds.Next"/>).</summary>
    [Id(5)] public long LastNumber { get; set; }

    /// <summary>Wall-clock time the current alert last notified: opened, escalated, or sent an incident update.</summary>
    [Id(6)] public DateTimeOffset NotifiedAt { get; set; }

    /// <summary>
    /// The current incident grew since <see cref="NotifiedAt"/> while its updates were rate-limited: the notification
    /// sinks get its latest version once <see cref="IncidentOptions.UpdateEvery"/> has passed since then.
    /// </summary>
    [Id(7)] public bool UpdateHeld { get; set; }
}

/// <summary>A version of an alert a sink has not confirmed yet.</summary>
[GenerateSerializer]
public sealed class PendingDelivery
{
    [Id(0)] public string Sink { get; set; } = "";
    [Id(1)] public string AlertId { get; set; } = "";
    [Id(2)] public int Version { get; set; }
}

/// <summary>
/// Owns the alerts of one alert key: the first detection opens an alert, later ones within the suppression interval
/// update it, a severity escalation notifies again, and a detection after the interval opens a new alert.
/// <para>
/// An incident (<c>recon-incident</c>) that grows without escalating notifies at most once per
/// <see cref="IncidentOptions.UpdateEvery"/>: a growth inside the interval is held (persisted) and a timer sends the
/// incident's latest version when the interval has passed, so the last post never shows stale counts.
/// </para>
/// <para>
/// Delivery is an outbox: <see cref="Report"/> persists the alert together with the version every sink still has to
/// confirm and returns — detection never waits on a sink. A timer then delivers to each sink, backing off while a
/// sink fails and asking again while a queueing sink (Slack) has not confirmed. A reminder, registered while
/// anything is owed, wakes the grain wherever it lives after its silo died or the whole cluster restarted.
/// </para>
/// </summary>
public sealed partial class AlertGrain(
    [PersistentState("alert", StorageNames.Alerts)] IPersistentState<AlertGrainState> state,
    IOptions<AlertOptions> alertOptions,
    IOptions<IncidentOptions> incidentOptions,
    IEnumerable<IAlertSinkRoute> sinkRoutes,
    SilenceCache silences,
    TimeProvider time,
    ILogger<AlertGrain> logger) : Grain, IAlertGrain, IRemindable
{
    private const int HistoryLimit = 20;
    private const int SampleLimit = 20;
    private const string ResumeReminder = "deliver";
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SinkTimeout = TimeSpan.FromSeconds(10);

    private readonly IAlertSinkRoute[] _sinks = sinkRoutes.Where(s => s.Enabled).ToArray();
    private readonly AlertOptions _options = alertOptions.Value;
    private readonly TimeSpan _updateEvery = incidentOptions.Value.UpdateEvery;

    // Interleaved delivery turns and reports each write the whole state; one write at a time (storage etags).
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private IGrainTimer? _delivery;
    private IGrainTimer? _heldUpdate;
    private bool _roundRunning;
    private bool _roundAgain;
    private int _failedRounds;
    private bool _reminderRegistered;

    // The alert.report span that last asked for a notification: the sinks' work joins that trace. Memory only:
    // a redelivery after reactivation starts a trace of its own (it still carries the alert id).
    private ActivityContext _notifyTrace;

    private List<PendingDelivery> Outbox => state.State.Outbox;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        AdoptLegacySlackPending();
        if (Outbox.Count > 0 || state.State.UpdateHeld)
        {
            // Whatever woke us (the reminder, a detection, a read), what is owed goes out now, a held update when due.
            await EnsureReminder();
            if (Outbox.Count > 0) DeliverSoon();
            if (state.State.UpdateHeld) ScheduleHeldUpdate();
        }
    }

    public async Task<AlertRecord> Report(Finding detection)
    {
        using var span = DetectTelemetry.Source.StartActivity("alert.report");
        var now = time.GetUtcNow();
        var seenAt = DateTimeOffset.FromUnixTimeMilliseconds(detection.WindowEndMs);
        var current = state.State.Current;
        // A silenced detection is still an alert (listed, marked with the silence's id) that notifies no one.
        var silenceId = silences.Match(detection, now);
        var point = new TimelinePoint(detection.WindowEndMs, detection.DistinctTargets, detection.FailedAttempts);
        bool notify;
        var escalated = false;
        if (current is null || current.Resolved is not null || seenAt - current.LastSeen > _options.SuppressionInterval)
        {
            if (current is not null)
            {
                state.State.History.Add(current);
                if (state.State.History.Count > HistoryLimit) state.State.History.RemoveAt(0);
            }

            state.State.Sequence++;
            state.State.LastNumber = AlertIds.Next(Math.Max(state.State.LastNumber, state.State.Sequence - 1), now);
            current = new AlertRecord
            {
                Id = AlertIds.Format(this.GetPrimaryKeyString(), state.State.LastNumber),
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
                SilenceId = silenceId,
                Timeline = [point],
                TraceId = span?.TraceId.ToHexString(),
            };
            notify = silenceId is null;
            state.State.UpdateHeld = false;
            LogOpened(logger, current.Id, detection.Type, detection.Severity, detection.Workload);
        }
        else
        {
            var merged = Merge(current.Evidence, detection);
            var title = AlertText.Title(merged);
            // An escalation notifies, and so does the first update after a silence that kept the alert quiet ended.
            escalated = silenceId is null && (merged.Severity > current.Severity || current.SilenceId is not null);
            notify = escalated;
            if (!escalated && silenceId is null && SendsUpdates(current) && (title != current.Title || merged.DistinctTargets != current.Evidence.DistinctTargets))
            {
                // An incident that grew: news at most once per interval; held until then, never dropped.
                if (now - state.State.NotifiedAt >= _updateEvery) notify = true;
                else state.State.UpdateHeld = true;
            }

            current = current with
            {
                Title = title,
                Severity = merged.Severity,
                FirstSeen = Min(current.FirstSeen, DateTimeOffset.FromUnixTimeMilliseconds(detection.WindowStartMs)),
                LastSeen = Max(current.LastSeen, seenAt),
                UpdatedAt = now,
                Updates = current.Updates + 1,
                Version = current.Version + 1,
                Evidence = merged,
                SilenceId = silenceId,
                Timeline = AlertTimeline.Add(current.Timeline, point),
                TraceId = notify && span is not null ? span.TraceId.ToHexString() : current.TraceId,
            };
            if (escalated) LogEscalated(logger, current.Id, merged.Severity);
        }

        Record(span, current, detection, notify, escalated);
        state.State.Current = current;
        if (notify)
        {
            state.State.NotifiedAt = now;
            state.State.UpdateHeld = false;
        }

        foreach (var sink in _sinks)
        {
            if (notify || !sink.NotificationsOnly) Owe(sink.Name, current);
        }

        if (notify) _notifyTrace = span?.Context ?? Activity.Current?.Context ?? default;

        // The alert and its outbox are durable before the caller (and so the ingest 202) hears of it; the reminder
        // is registered beside the write, so a crash right after still ends in delivery.
        await Task.WhenAll(Persist(), EnsureReminder());
        if (Outbox.Count > 0) DeliverSoon();
        if (state.State.UpdateHeld) ScheduleHeldUpdate();
        else StopHeldUpdate();
        return current;
    }

    public Task<AlertRecord?> Get(string alertId) => Task.FromResult(Find(alertId));

    public Task<WorkflowResult> Acknowledge(string alertId, AlertAction action) =>
        Step(alertId, alert => alert with { Acknowledged = action });

    public Task<WorkflowResult> Resolve(string alertId, AlertAction action) =>
        Step(alertId, alert => alert with { Resolved = action });

    /// <summary>
    /// A workflow step on an open alert: a new version, persisted with what the sinks that take every version (the
    /// feed) now owe. Notification sinks (Slack) are not told: an acknowledgement is not news to page anyone with.
    /// </summary>
    private async Task<WorkflowResult> Step(string alertId, Func<AlertRecord, AlertRecord> change)
    {
        var alert = Find(alertId);
        if (alert is null) return new WorkflowResult(WorkflowStatus.NotFound, null);
        if (alert.Resolved is not null) return new WorkflowResult(WorkflowStatus.Closed, alert);
        alert = change(alert) with { Version = alert.Version + 1, UpdatedAt = time.GetUtcNow() };
        if (state.State.Current?.Id == alertId) state.State.Current = alert;
        else state.State.History[state.State.History.FindIndex(a => a.Id == alertId)] = alert;
        foreach (var sink in _sinks)
        {
            if (!sink.NotificationsOnly) Owe(sink.Name, alert);
        }

        await Task.WhenAll(Persist(), EnsureReminder());
        if (Outbox.Count > 0) DeliverSoon();
        LogWorkflow(logger, alertId, AlertStates.Of(alert));
        return new WorkflowResult(WorkflowStatus.Done, alert);
    }

    public Task<AlertRecord?> GetCurrent() => Task.FromResult(state.State.Current);

    public async Task Confirm(string alertId, string sink, int version)
    {
        var at = Outbox.FindIndex(p => p.Sink == sink && p.AlertId == alertId);
        if (at < 0 || Outbox[at].Version > version) return;
        Outbox.RemoveAt(at);
        await Persist();
        if (Outbox.Count == 0) StopDelivery();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ResumeReminder) return;
        if (state.State.UpdateHeld) ScheduleHeldUpdate();
        if (Outbox.Count > 0)
        {
            DeliverSoon();
            return;
        }

        if (state.State.UpdateHeld) return;

        // Nothing owed: the reminder has done its work. (Kept until now rather than removed on every confirmation,
        // so an alert that keeps updating does not register and unregister it on every version.)
        try
        {
            if (await this.GetReminder(ResumeReminder) is { } reminder) await this.UnregisterReminder(reminder);
            _reminderRegistered = false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReminderFailed(logger, ex, this.GetPrimaryKeyString());
        }
    }

    /// <summary>Records that <paramref name="sink"/> owes <paramref name="alert"/>'s version (replacing an older one owed).</summary>
    private void Owe(string sink, AlertRecord alert)
    {
        var at = Outbox.FindIndex(p => p.Sink == sink && p.AlertId == alert.Id);
        if (at < 0) Outbox.Add(new PendingDelivery { Sink = sink, AlertId = alert.Id, Version = alert.Version });
        else if (Outbox[at].Version < alert.Version) Outbox[at].Version = alert.Version;
    }

    /// <summary>Whether growth of <paramref name="alert"/> notifies (rate-limited): an incident nobody has acknowledged yet.</summary>
    private bool SendsUpdates(AlertRecord alert) =>
        _updateEvery > TimeSpan.Zero && alert.Type == DetectionTypes.ReconIncident && alert.Acknowledged is null;

    /// <summary>Arms the one-shot timer that sends the held incident update when the interval since the last notification has passed.</summary>
    private void ScheduleHeldUpdate()
    {
        if (_heldUpdate is not null) return;
        var due = state.State.NotifiedAt + _updateEvery - time.GetUtcNow();
        // Not interleaved: it changes the state and the outbox like a report does. KeepAlive: a held update is owed.
        _heldUpdate = this.RegisterGrainTimer(SendHeldUpdate, new GrainTimerCreationOptions(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private void StopHeldUpdate()
    {
        _heldUpdate?.Dispose();
        _heldUpdate = null;
    }

    /// <summary>
    /// The interval has passed with growth held back: the notification sinks owe the incident's latest version (unless
    /// it was resolved, silenced or acknowledged meanwhile).
    /// </summary>
    private async Task SendHeldUpdate(CancellationToken cancellationToken)
    {
        StopHeldUpdate();
        if (!state.State.UpdateHeld) return;
        var now = time.GetUtcNow();
        if (state.State.NotifiedAt + _updateEvery > now)
        {
            ScheduleHeldUpdate();
            return;
        }

        state.State.UpdateHeld = false;
        if (state.State.Current is { Resolved: null, SilenceId: null } current && SendsUpdates(current))
        {
            state.State.NotifiedAt = now;
            foreach (var sink in _sinks)
            {
                if (sink.NotificationsOnly) Owe(sink.Name, current);
            }

            LogHeldUpdateSent(logger, current.Id, current.Version);
        }

        await Task.WhenAll(Persist(), EnsureReminder());
        if (Outbox.Count > 0) DeliverSoon();
    }

    /// <summary>The enabled sink of that name, or null.</summary>
    private IAlertSinkRoute? Route(string sink) => Array.Find(_sinks, s => s.Name == sink);

    private AlertRecord? Find(string alertId)
    {
        if (state.State.Current is { } current && current.Id == alertId) return current;
        return state.State.History.Find(a => a.Id == alertId);
    }

    /// <summary>A Slack delivery owed by a silo before the outbox existed becomes an outbox entry.</summary>
    private void AdoptLegacySlackPending()
    {
        if (state.State.SlackPendingVersion <= 0) return;
        if (state.State.Current is { } current && Route(ISlackNotifierGrain.SinkName) is not null)
        {
            Owe(ISlackNotifierGrain.SinkName, current with { Version = Math.Min(current.Version, state.State.SlackPendingVersion) });
        }

        state.State.SlackPendingVersion = 0;
    }

    private async Task Persist()
    {
        await _writeGate.WaitAsync();
        try
        {
            await state.WriteStateAsync();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task EnsureReminder()
    {
        if (_reminderRegistered || (Outbox.Count == 0 && !state.State.UpdateHeld)) return;
        try
        {
            await this.RegisterOrUpdateReminder(ResumeReminder, _options.ResumeInterval, _options.ResumeInterval);
            _reminderRegistered = true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The alert is persisted; the delivery timer registers the reminder on its next round.
            LogReminderFailed(logger, ex, this.GetPrimaryKeyString());
        }
    }

    /// <summary>Runs a delivery round now (the round reschedules itself while anything is owed).</summary>
    private void DeliverSoon()
    {
        if (_roundRunning)
        {
            // The running round may have read the outbox before this change; it runs again right after.
            _roundAgain = true;
            return;
        }

        ScheduleRound(TimeSpan.Zero);
    }

    /// <summary>
    /// One round, <paramref name="due"/> from now, replacing whatever round was scheduled. A fresh one-shot timer each
    /// time: a timer changed from inside its own callback is rescheduled by its period once the callback returns.
    /// </summary>
    private void ScheduleRound(TimeSpan due)
    {
        // KeepAlive: an alert that owes a delivery stays active until it is confirmed. Interleave: a report never
        // waits behind a sink.
        _delivery?.Dispose();
        _delivery = this.RegisterGrainTimer(DeliverRound, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { Interleave = true, KeepAlive = true });
    }

    private void StopDelivery()
    {
        _delivery?.Dispose();
        _delivery = null;
        _failedRounds = 0;
    }

    /// <summary>Delivers what is owed to each sink at once, records what they stored, and schedules the next round.</summary>
    private async Task DeliverRound(CancellationToken cancellationToken)
    {
        if (Outbox.Count == 0)
        {
            StopDelivery();
            return;
        }

        _roundRunning = true;
        _roundAgain = false;
        bool failed;
        try
        {
            failed = await DeliverOwed();
        }
        finally
        {
            _roundRunning = false;
        }

        if (Outbox.Count == 0)
        {
            StopDelivery();
            return;
        }

        // A sink that failed is tried again soon, backing off; one that queued is asked again if it stays silent.
        _failedRounds = failed ? _failedRounds + 1 : 0;
        var wait = _roundAgain ? TimeSpan.Zero
            : failed ? TimeSpan.FromTicks(Math.Min(_options.RedeliveryInterval.Ticks, FirstRetry.Ticks << Math.Min(_failedRounds - 1, 20)))
            : _options.RedeliveryInterval;
        ScheduleRound(wait);
    }

    /// <summary>One round over the outbox; true when a sink failed.</summary>
    private async Task<bool> DeliverOwed()
    {
        await EnsureReminder();
        // Copies: a report during the round raises the version owed in place.
        var owed = Outbox.Select(p => (p.Sink, p.AlertId)).ToArray();
        var receipts = await Task.WhenAll(owed.Select(p => DeliverOne(p.Sink, p.AlertId)));
        var mustWrite = false;
        var failed = false;
        for (var i = 0; i < owed.Length; i++)
        {
            if (receipts[i].Receipt is null) failed = true;
            else if (receipts[i].Receipt == SinkReceipt.Stored)
            {
                // Remove only what was delivered: a report during the round may have raised the version owed past it.
                var at = Outbox.FindIndex(p => p.Sink == owed[i].Sink && p.AlertId == owed[i].AlertId);
                if (at >= 0 && Outbox[at].Version <= receipts[i].Version)
                {
                    Outbox.RemoveAt(at);
                    mustWrite |= Route(owed[i].Sink) is not { Idempotent: true };
                }
            }
        }

        // Confirmations from idempotent sinks ride along with the next write (one storage write per alert, not two).
        if (mustWrite)
        {
            try
            {
                await Persist();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Not recorded: the sinks see these versions again and keep them once.
                LogPersistFailed(logger, ex, this.GetPrimaryKeyString());
                failed = true;
            }
        }

        return failed;
    }

    /// <summary>
    /// Delivers the alert's newest version to one sink: the sink's receipt (null when it failed or did not answer in
    /// time) and the version that was delivered.
    /// </summary>
    private async Task<(SinkReceipt? Receipt, int Version)> DeliverOne(string sink, string alertId)
    {
        var route = Route(sink);
        var alert = Find(alertId);
        if (route is null || alert is null)
        {
            // A sink no longer configured, or an alert pushed out of the history: nothing left to deliver.
            return (SinkReceipt.Stored, int.MaxValue);
        }

        // A round has no caller: parent it on the report that asked for the notification.
        using var span = DetectTelemetry.Source.StartActivity("alert.deliver", ActivityKind.Producer, _notifyTrace);
        span?.SetTag("alert.id", alert.Id);
        span?.SetTag("alert.version", alert.Version);
        span?.SetTag("sink", route.Name);
        try
        {
            return (await route.Resolve(GrainFactory).Deliver(alert).WaitAsync(SinkTimeout), alert.Version);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            LogDeliveryFailed(logger, alert.Id, route.Name, ex.GetType().Name);
            return (null, alert.Version);
        }
    }

    /// <summary>Counts the outcome and describes it on the report's span (ids and words, never addresses).</summary>
    private static void Record(Activity? span, AlertRecord current, Finding detection, bool notify, bool escalated)
    {
        var type = new KeyValuePair<string, object?>("alert.type", detection.Type);
        var severity = new KeyValuePair<string, object?>("alert.severity", current.Severity.Name());
        if (current.Version == 1) DetectTelemetry.AlertsRaised.Add(1, type, severity);
        else if (escalated) DetectTelemetry.AlertsEscalated.Add(1, type, severity);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} opened: {Type} {Severity} on {Workload}")]
    private static partial void LogOpened(ILogger logger, string alertId, string type, Severity severity, string workload);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} is now {State}")]
    private static partial void LogWorkflow(ILogger logger, string alertId, string state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} escalated to {Severity}")]
    private static partial void LogEscalated(ILogger logger, string alertId, Severity severity);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Incident {AlertId} v{Version}: the update held back by Detection:Incident:UpdateEvery goes out")]
    private static partial void LogHeldUpdateSent(ILogger logger, string alertId, int version);

    // Debug: a sink that is down fails every alert; the sink's own health is what an operator watches (its
    // failure metric, the notifier's warnings), not one line per alert and attempt.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Delivery of alert {AlertId} to {Sink} failed ({ErrorType}); will retry")]
    private static partial void LogDeliveryFailed(ILogger logger, string alertId, string sink, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert grain {GrainKey} could not register or remove its delivery reminder; will retry")]
    private static partial void LogReminderFailed(ILogger logger, Exception exception, string grainKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert grain {GrainKey} could not record confirmed deliveries; the sinks will see them again")]
    private static partial void LogPersistFailed(ILogger logger, Exception exception, string grainKey);
}

namespace OrleansDetect;

/// <summary>
/// Owns the alerts of one <see cref="AlertKey"/> (subject, type, port, target or scope): dedup within the suppression
/// interval, escalation, persistence, and delivery to the sinks.
/// </summary>
public interface IAlertGrain : IGrainWithStringKey
{
    /// <summary>
    /// Opens or updates the alert for a finding; completes once the alert and its outbox (what each sink still has
    /// to confirm) are persisted. Never waits for a sink.
    /// </summary>
    Task<AlertRecord> Report(Finding finding);

    /// <summary>The alert with this id, if this grain holds it.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<AlertRecord?> Get(string alertId);

    /// <summary>The key's current (newest) alert, if it has one: how a finding that links other alerts learns their ids.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<AlertRecord?> GetCurrent();

    /// <summary>Sink <paramref name="sink"/> confirms it made <paramref name="version"/> of an alert durable.</summary>
    Task Confirm(string alertId, string sink, int version);

    /// <summary>Records who acknowledged the alert (persisted, delivered to the feed); it keeps escalating.</summary>
    Task<WorkflowResult> Acknowledge(string alertId, AlertAction action);

    /// <summary>Closes the alert (persisted, delivered to the feed): the key's next detection opens a new one.</summary>
    Task<WorkflowResult> Resolve(string alertId, AlertAction action);
}

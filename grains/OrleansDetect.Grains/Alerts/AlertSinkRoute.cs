namespace OrleansDetect.Grains.Alerts;

/// <summary>
/// One sink as the alert grains see it: its name in the outbox, which versions it takes, and its grain. Sinks are
/// registered in DI (<c>TryAddEnumerable</c>); a new sink is one more route, the alert grain does not change.
/// </summary>
public interface IAlertSinkRoute
{
    /// <summary>The sink's name in outboxes, confirmations, metrics and logs.</summary>
    string Name { get; }

    /// <summary>False when the sink is not configured: no delivery is queued for it.</summary>
    bool Enabled { get; }

    /// <summary>True: only versions that notify (a new alert, a severity escalation, an incident update); false: every version.</summary>
    bool NotificationsOnly { get; }

    /// <summary>
    /// True when the sink keeps each version once however often it is delivered (durably, by alert id): its
    /// confirmations are saved with the alert's next write instead of a write of their own, since a crash before
    /// that costs one harmless redelivery.
    /// </summary>
    bool Idempotent { get; }

    IAlertSinkGrain Resolve(IGrainFactory grains);
}

/// <summary>The RSS feed (and the alerts list): every version, always on.</summary>
public sealed class FeedSinkRoute : IAlertSinkRoute
{
    public string Name => IAlertFeedGrain.SinkName;

    public bool Enabled => true;

    public bool NotificationsOnly => false;

    // The feed replaces an entry only by a newer version of the same id.
    public bool Idempotent => true;

    public IAlertSinkGrain Resolve(IGrainFactory grains) => grains.GetGrain<IAlertFeedGrain>(IAlertFeedGrain.Key);
}

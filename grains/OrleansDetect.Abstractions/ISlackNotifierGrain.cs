namespace OrleansDetect;

/// <summary>
/// Queues alert notifications for one Slack webhook and posts them no faster than Slack allows
/// (about one message a second, a burst becoming a digest), honouring 429 Retry-After. One activation per webhook
/// cluster-wide. <see cref="IAlertSinkGrain.Deliver"/> answers <see cref="SinkReceipt.Queued"/>; each post is
/// confirmed back to its alert grain.
/// </summary>
public interface ISlackNotifierGrain : IAlertSinkGrain
{
    /// <summary>The key of the notifier for the configured webhook.</summary>
    public const string DefaultKey = "default";

    /// <summary>The sink name in alert outboxes and confirmations.</summary>
    public const string SinkName = "slack";
}

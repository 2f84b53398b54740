namespace OrleansDetect;

/// <summary>
/// Queues alert notifications for one Slack webhook and posts them no faster than Slack allows
/// (about one message a second), honouring 429 Retry-After. One activation per webhook cluster-wide.
/// </summary>
public interface ISlackNotifierGrain : IGrainWithStringKey
{
    /// <summary>The key of the notifier for the configured webhook.</summary>
    public const string DefaultKey = "default";

    /// <summary>Queues a version of an alert; acknowledged back to its alert grain once posted.</summary>
    Task Enqueue(AlertRecord alert);
}

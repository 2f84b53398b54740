namespace OrleansDetect;

/// <summary>
/// A place alerts go once they are persisted: the RSS feed, Slack, and whatever sink comes next. Each alert grain
/// keeps an outbox of the versions every sink still has to confirm and redelivers until it does, so a sink may see
/// a version more than once and must treat a repeat (same id, same or older version) as already delivered.
/// </summary>
public interface IAlertSinkGrain : IGrainWithStringKey
{
    /// <summary>
    /// Hands a version of an alert to the sink. <see cref="SinkReceipt.Stored"/>: the sink has made it durable and
    /// the alert grain may forget it; <see cref="SinkReceipt.Queued"/>: the sink will confirm through
    /// <see cref="IAlertGrain.Confirm"/> once it has. Interleaves: many alert grains deliver at once.
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<SinkReceipt> Deliver(AlertRecord alert);
}

/// <summary>What a sink did with a delivered alert version.</summary>
public enum SinkReceipt
{
    /// <summary>Durable in the sink: nothing more to wait for.</summary>
    Stored,

    /// <summary>Accepted into a queue; the sink confirms later.</summary>
    Queued,
}

namespace OrleansDetect;

/// <summary>
/// The cluster-wide list of recent alerts behind the RSS feed and the alerts API (the newest 500).
/// <see cref="IAlertSinkGrain.Deliver"/> answers <see cref="SinkReceipt.Stored"/> only once the entry is written.
/// </summary>
public interface IAlertFeedGrain : IAlertSinkGrain
{
    /// <summary>The single feed's key.</summary>
    public const string Key = "alerts";

    /// <summary>The sink name in alert outboxes and confirmations.</summary>
    public const string SinkName = "rss";

    /// <summary>Recent alerts, newest first.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<AlertRecord[]> GetRecent(int max);
}

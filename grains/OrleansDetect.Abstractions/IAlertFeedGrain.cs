namespace OrleansDetect;

/// <summary>The cluster-wide list of recent alerts behind the RSS feed and the alerts API (the newest 500).</summary>
public interface IAlertFeedGrain : IGrainWithStringKey
{
    /// <summary>The single feed's key.</summary>
    public const string Key = "alerts";

    /// <summary>Adds an alert or replaces the older version of it.</summary>
    Task Publish(AlertRecord alert);

    /// <summary>Recent alerts, newest first.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<AlertRecord[]> GetRecent(int max);
}

namespace OrleansDetect.Grains.Hosting;

/// <summary>Names of the grain storage providers the silo registers.</summary>
public static class StorageNames
{
    /// <summary>Alerts and the alert feed: must be durable before an alert is acknowledged.</summary>
    public const string Alerts = "alerts";

    /// <summary>Workload baselines.</summary>
    public const string Baselines = "baselines";
}

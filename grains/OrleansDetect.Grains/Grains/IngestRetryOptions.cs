using System.ComponentModel.DataAnnotations;

namespace OrleansDetect.Grains;

/// <summary>
/// How long the ingest router keeps retrying workload calls that fail while cluster membership changes
/// (<c>Ingest:RetryBudget</c>, <c>Ingest:RetryAttempts</c>). A silo that dies is declared dead within
/// seconds; its workloads' grains then activate elsewhere, so a short retry usually hides the loss.
/// </summary>
public sealed class IngestRetryOptions
{
    public const string SectionName = "Ingest";

    /// <summary>Longest time spent retrying one batch before the gateway answers 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00", ErrorMessage = "Ingest:RetryBudget must be between 00:00:00 and 00:05:00")]
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Tries per workload call, the first included.</summary>
    [Range(1, 100, ErrorMessage = "Ingest:RetryAttempts must be between 1 and 100")]
    public int RetryAttempts { get; set; } = 5;

    /// <summary>First backoff; each later one doubles, all within <see cref="RetryBudget"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Ingest:FirstRetryDelay must be between 00:00:00 and 00:01:00")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);
}

using Microsoft.Extensions.Options;
using OrleansDetect.Detection;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// How long the ingest router keeps retrying workload calls that fail while cluster membership changes
/// (<c>Ingest:RetryBudget</c>, <c>Ingest:RetryAttempts</c>). A silo that dies is declared dead within
/// seconds; its workloads' grains then activate elsewhere, so a short retry usually hides the loss.
/// </summary>
public sealed class IngestRetryOptions
{
    public const string SectionName = "Ingest";

    /// <summary>Longest time spent retrying one batch before the gateway answers 503.</summary>
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Tries per workload call, the first included.</summary>
    public int RetryAttempts { get; set; } = 5;

    /// <summary>First backoff; each later one doubles, all within <see cref="RetryBudget"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);
}

public sealed class IngestRetryOptionsValidator : IValidateOptions<IngestRetryOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestRetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(IngestRetryOptions.SectionName);
        check.InRange(options.RetryBudget, TimeSpan.Zero, TimeSpan.FromMinutes(5), nameof(options.RetryBudget));
        check.InRange(options.RetryAttempts, 1, 100, nameof(options.RetryAttempts));
        check.InRange(options.FirstRetryDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1), nameof(options.FirstRetryDelay));
        return check.Result;
    }
}

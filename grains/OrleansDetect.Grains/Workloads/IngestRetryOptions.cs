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

    /// <summary>
    /// Longest time spent retrying one workload's call that fails while membership changes, before that workload is
    /// answered as failed (the rest of the batch does not wait for it). Short: the client resends the failed part, by
    /// which time the workload has usually moved.
    /// </summary>
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Tries per workload call, the first included.</summary>
    public int RetryAttempts { get; set; } = 4;

    /// <summary>
    /// No workload call starts later than this after the batch arrived, and none is waited for beyond this plus
    /// <see cref="RetryBudget"/>; workloads not reached by then are answered as failed.
    /// </summary>
    public TimeSpan BatchDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Once the last call of a batch with an idempotency key has started, calls still open when no call has answered
    /// for this long (or for as long as the batch took to its latest answer, if longer) are given up, their workloads
    /// answered as failed: a silo killed mid-call is declared dead only seconds later, and the rest of the batch should
    /// not wait for that. Batches without a key wait (a resend of a call that may still complete would count twice).
    /// </summary>
    public TimeSpan StragglerTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Workload calls one batch has in flight at once (a 100,000-workload body is not 100,000 calls at once).</summary>
    public int MaxCallsInFlight { get; set; } = 1000;

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
        // The gateway's own call to the router times out after Orleans' response timeout (30 s by default).
        check.InRange(options.BatchDeadline, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(25), nameof(options.BatchDeadline));
        check.InRange(options.MaxCallsInFlight, 1, 100_000, nameof(options.MaxCallsInFlight));
        check.InRange(options.StragglerTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1), nameof(options.StragglerTimeout));
        return check.Result;
    }
}

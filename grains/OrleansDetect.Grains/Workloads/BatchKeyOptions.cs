using Microsoft.Extensions.Options;
using OrleansDetect.Detection;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// How long a workload remembers the idempotency keys of the batches it processed (<c>Ingest:IdempotencyWindow</c>,
/// <c>Ingest:IdempotencyKeysPerWorkload</c>), so a resend after a timeout, a 503 or a partial failure is not counted
/// twice. The window has to outlast a batch's answer time (<see cref="IngestRetryOptions.BatchDeadline"/>) plus the
/// client's retries.
/// </summary>
public sealed class BatchKeyOptions
{
    public const string SectionName = "Ingest";

    /// <summary>A key older than this is forgotten; a resend after it is processed again.</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most keys one workload holds (about 40 bytes each); at the cap the oldest quarter goes, so a workload in more batches per window than this remembers the newest.</summary>
    public int IdempotencyKeysPerWorkload { get; set; } = 4096;
}

public sealed class BatchKeyOptionsValidator : IValidateOptions<BatchKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, BatchKeyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(BatchKeyOptions.SectionName);
        check.InRange(options.IdempotencyWindow, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), nameof(options.IdempotencyWindow));
        check.InRange(options.IdempotencyKeysPerWorkload, 1, 1_000_000, nameof(options.IdempotencyKeysPerWorkload));
        return check.Result;
    }
}

using Microsoft.Extensions.Options;

namespace OrleansDetect.Detection;

/// <summary>
/// Slow sweeps and scans (<c>Detection:Slow:*</c>): a second tracker beside the sliding windows whose target sets stay
/// open while a new target keeps arriving within <see cref="IdleTimeout"/> (Zeek's simple-scan rule), judged on the
/// same distinct-target thresholds as the windows.
/// </summary>
public sealed class SlowProbeOptions
{
    public const string SectionName = "Detection:Slow";

    public bool Enabled { get; set; } = true;

    /// <summary>A set closes when no new target arrived for this long (15 min, as ncsa simple-scan expires a scanner).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Targets held across all open sets of one workload, per detector (sweeps, scans); bounds memory.</summary>
    public int MaxTrackedTargets { get; set; } = 20_000;

    /// <summary>Targets one set may hold; past it the set's count saturates ("at least N").</summary>
    public int MaxTargetsPerSet { get; set; } = 1_000;
}

public sealed class SlowProbeOptionsValidator : IValidateOptions<SlowProbeOptions>
{
    public ValidateOptionsResult Validate(string? name, SlowProbeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(SlowProbeOptions.SectionName);
        check.Positive(options.IdleTimeout, nameof(options.IdleTimeout));
        check.Positive(options.MaxTrackedTargets, nameof(options.MaxTrackedTargets));
        check.Positive(options.MaxTargetsPerSet, nameof(options.MaxTargetsPerSet));
        if (options.MaxTargetsPerSet > options.MaxTrackedTargets)
        {
            check.Fail($"{nameof(options.MaxTargetsPerSet)} must not exceed {nameof(options.MaxTrackedTargets)}");
        }

        return check.Result;
    }
}

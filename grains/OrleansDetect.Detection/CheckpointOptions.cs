using Microsoft.Extensions.Options;

namespace OrleansDetect.Detection;

/// <summary>The windows checkpoint (<c>Detection:CheckpointInterval</c>).</summary>
public sealed class CheckpointOptions
{
    public const string SectionName = "Detection";

    /// <summary>
    /// How often a workload whose windows hold failed attempts writes them, with its clock and event counters, when
    /// anything changed: the most of them a kill can lose. Workloads without failed attempts write nothing.
    /// <see cref="TimeSpan.Zero"/> turns checkpoints off (windows then live in memory only).
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(5);
}

public sealed class CheckpointOptionsValidator : IValidateOptions<CheckpointOptions>
{
    public ValidateOptionsResult Validate(string? name, CheckpointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(CheckpointOptions.SectionName);
        check.NotNegative(options.CheckpointInterval, nameof(options.CheckpointInterval));
        return check.Result;
    }
}

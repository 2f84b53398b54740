using Microsoft.Extensions.Options;

namespace OrleansDetect.Detection;

/// <summary>
/// One incident per scanner (<c>Detection:Incident:*</c>): once a workload's sweeps and scans span more than
/// <see cref="FoldAfter"/> alert keys, further ones are folded into one growing <c>recon-incident</c> instead of an
/// alert per port or host.
/// </summary>
public sealed class IncidentOptions
{
    public const string SectionName = "Detection:Incident";

    public bool Enabled { get; set; } = true;

    /// <summary>Distinct sweep/scan alert keys a workload may raise on their own; beyond, findings fold into its incident.</summary>
    public int FoldAfter { get; set; } = 3;

    /// <summary>Event time without a new sweep or scan finding after which the incident closes and keys stand alone again.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Per-port and per-host findings the incident keeps listed in its evidence (counts go on beyond).</summary>
    public int MaxListedFindings { get; set; } = 200;

    /// <summary>
    /// Wall-clock time between notifications (Slack) of an incident that keeps growing without escalating: at most
    /// one update per interval, and an update held back by it goes out once the interval has passed, carrying the
    /// latest counts. Zero: notify on opening and escalation only.
    /// </summary>
    public TimeSpan UpdateEvery { get; set; } = TimeSpan.FromMinutes(10);
}

public sealed class IncidentOptionsValidator : IValidateOptions<IncidentOptions>
{
    public ValidateOptionsResult Validate(string? name, IncidentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(IncidentOptions.SectionName);
        check.InRange(options.FoldAfter, 0, 1_000, nameof(options.FoldAfter));
        check.Positive(options.Interval, nameof(options.Interval));
        check.InRange(options.MaxListedFindings, 1, 10_000, nameof(options.MaxListedFindings));
        check.InRange(options.UpdateEvery, TimeSpan.Zero, TimeSpan.FromDays(1), nameof(options.UpdateEvery));
        return check.Result;
    }
}

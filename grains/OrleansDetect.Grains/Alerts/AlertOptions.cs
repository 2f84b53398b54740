using Microsoft.Extensions.Options;
using OrleansDetect.Detection;

namespace OrleansDetect.Grains.Alerts;

/// <summary>Alert lifecycle settings (<c>Detection:Alerts:*</c>).</summary>
public sealed class AlertOptions
{
    public const string SectionName = "Detection:Alerts";

    /// <summary>
    /// One alert per fingerprint per interval, counted in event time from the alert's last update: detections
    /// inside it update the open alert, one after it opens a new alert.
    /// </summary>
    public TimeSpan SuppressionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How many alerts the feed (RSS and the alerts API) keeps.</summary>
    public int FeedSize { get; set; } = 500;

    /// <summary>
    /// How long an alert waits for a queueing sink (Slack) to confirm a delivery before it delivers again, and the
    /// longest wait between attempts at a sink that fails (the wait doubles from a second up to this).
    /// </summary>
    public TimeSpan RedeliveryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The period of the reminder an alert with unconfirmed deliveries keeps: it wakes the alert grain wherever it
    /// lives after its silo died or the whole cluster restarted, so delivery resumes without new traffic.
    /// </summary>
    public TimeSpan ResumeInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Stops the silo at start on alert settings that cannot work, naming the key.</summary>
public sealed class AlertOptionsValidator : IValidateOptions<AlertOptions>
{
    /// <summary>The shortest reminder period the silo allows (Orleans' own minimum, a minute, is lowered to this).</summary>
    public static readonly TimeSpan MinimumResumeInterval = TimeSpan.FromSeconds(1);

    public ValidateOptionsResult Validate(string? name, AlertOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(AlertOptions.SectionName);
        check.Positive(options.SuppressionInterval, nameof(options.SuppressionInterval));
        check.InRange(options.FeedSize, 1, 100_000, nameof(options.FeedSize));
        if (options.RedeliveryInterval < TimeSpan.FromSeconds(1)) check.Fail($"{nameof(options.RedeliveryInterval)} must be at least 1 second");
        if (options.ResumeInterval < MinimumResumeInterval) check.Fail($"{nameof(options.ResumeInterval)} must be at least {MinimumResumeInterval.TotalSeconds:0} second");
        return check.Result;
    }
}

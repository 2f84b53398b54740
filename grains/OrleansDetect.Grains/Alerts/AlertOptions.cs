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

    /// <summary>How long an alert waits for Slack to confirm delivery before it queues the message again.</summary>
    public TimeSpan RedeliveryInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Stops the silo at start on alert settings that cannot work, naming the key.</summary>
public sealed class AlertOptionsValidator : IValidateOptions<AlertOptions>
{
    public ValidateOptionsResult Validate(string? name, AlertOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(AlertOptions.SectionName);
        check.Positive(options.SuppressionInterval, nameof(options.SuppressionInterval));
        check.InRange(options.FeedSize, 1, 100_000, nameof(options.FeedSize));
        if (options.RedeliveryInterval < TimeSpan.FromSeconds(1)) check.Fail($"{nameof(options.RedeliveryInterval)} must be at least 1 second");
        return check.Result;
    }
}

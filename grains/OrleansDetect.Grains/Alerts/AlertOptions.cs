using Microsoft.Extensions.Options;

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
        List<string> failures = [];
        if (options.SuppressionInterval <= TimeSpan.Zero) failures.Add($"{AlertOptions.SectionName}:SuppressionInterval must be positive");
        if (options.FeedSize is < 1 or > 100_000) failures.Add($"{AlertOptions.SectionName}:FeedSize must be between 1 and 100000");
        if (options.RedeliveryInterval < TimeSpan.FromSeconds(1)) failures.Add($"{AlertOptions.SectionName}:RedeliveryInterval must be at least 1 second");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

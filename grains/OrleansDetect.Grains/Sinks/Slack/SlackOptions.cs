using Microsoft.Extensions.Options;
using OrleansDetect.Detection;

namespace OrleansDetect.Grains.Sinks.Slack;

/// <summary>Where and how fast alerts go to Slack (configuration section "Slack").</summary>
public sealed class SlackOptions
{
    public const string SectionName = "Slack";

    /// <summary>The incoming-webhook URL. A secret (its path is the credential): never logged or echoed.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Slack accepts about one message a second per webhook.</summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Queued notifications beyond this drop the oldest (alert grains re-enqueue what was not acknowledged).</summary>
    public int MaxQueue { get; set; } = 10_000;

    /// <summary>Timeout of one HTTP attempt.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>HTTP attempts per message, the first included, before the notifier backs off and tries later.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>Cap on any wait between attempts, a server's Retry-After included.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>When this many notifications wait, the next message is one digest of them (a burst, not a queue).</summary>
    public int DigestAfter { get; set; } = 3;

    /// <summary>The most alerts one digest lists; the rest follow in the next message.</summary>
    public int DigestMaxAlerts { get; set; } = 50;

    /// <summary>Base URL of the alert links in messages, when Slack readers reach the console elsewhere than <c>Console:PublicUrl</c>.</summary>
    public string? AlertLinkBase { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(WebhookUrl);

    // Records and the default ToString would not print the URL either; this makes the intent explicit.
    public override string ToString() =>
        $"SlackOptions {{ WebhookUrl = {(IsConfigured ? "(set)" : "(not set)")}, MinInterval = {MinInterval}, MaxQueue = {MaxQueue} }}";
}

/// <summary>Stops the silo at start on bad Slack settings, naming the key and never the webhook URL.</summary>
public sealed class SlackOptionsValidator : IValidateOptions<SlackOptions>
{
    public ValidateOptionsResult Validate(string? name, SlackOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(SlackOptions.SectionName);
        if (options.IsConfigured &&
            (!Uri.TryCreate(options.WebhookUrl, UriKind.Absolute, out var uri) ||
             (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
        {
            check.Fail("WebhookUrl must be an absolute http(s) URL (the value is not shown because it is a secret).");
        }

        if (options.MinInterval < TimeSpan.Zero)
        {
            check.Fail("MinInterval must not be negative.");
        }

        if (options.DigestAfter < 2)
        {
            check.Fail("DigestAfter must be at least 2.");
        }

        if (options.DigestMaxAlerts is < 2 or > 200)
        {
            check.Fail("DigestMaxAlerts must be between 2 and 200.");
        }

        if (options.AlertLinkBase is { Length: > 0 } linkBase && !Alerts.AlertLinks.IsHttpUrl(linkBase))
        {
            check.Fail($"AlertLinkBase must be an absolute http(s) URL, not '{linkBase}'.");
        }

        if (options.MaxQueue < 1)
        {
            check.Fail("MaxQueue must be at least 1.");
        }

        // Polly's timeout strategy accepts 10 ms to 24 h.
        if (options.RequestTimeout < TimeSpan.FromMilliseconds(10) || options.RequestTimeout > TimeSpan.FromHours(24))
        {
            check.Fail("RequestTimeout must be between 10 ms and 24 h.");
        }

        if (options.MaxAttempts is < 1 or > 100)
        {
            check.Fail("MaxAttempts must be between 1 and 100.");
        }

        if (options.MaxRetryDelay <= TimeSpan.Zero || options.MaxRetryDelay > TimeSpan.FromHours(24))
        {
            check.Fail("MaxRetryDelay must be positive and at most 24 h.");
        }

        return check.Result;
    }
}

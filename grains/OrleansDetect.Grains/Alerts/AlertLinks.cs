using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OrleansDetect.Detection;

namespace OrleansDetect.Grains.Alerts;

/// <summary>Where people reach this cluster's pages (configuration section "Console").</summary>
public sealed class ConsoleOptions
{
    public const string SectionName = "Console";

    /// <summary>
    /// The external base URL of the console (e.g. https://detect.example.com/), used in links that leave the cluster:
    /// Slack messages and RSS items. Unset: the first HTTP address the silo listens on.
    /// </summary>
    public string? PublicUrl { get; set; }
}

/// <summary>Stops the silo at start on a <see cref="ConsoleOptions.PublicUrl"/> that is not an absolute http(s) URL.</summary>
public sealed class ConsoleOptionsValidator : IValidateOptions<ConsoleOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsoleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(ConsoleOptions.SectionName);
        if (options.PublicUrl is { Length: > 0 } url && !AlertLinks.IsHttpUrl(url))
        {
            check.Fail($"PublicUrl must be an absolute http(s) URL, not '{url}'");
        }

        return check.Result;
    }
}

/// <summary>
/// Absolute links to the pages, from configuration only — never from a request's <c>Host</c> header, which a client
/// chooses: <c>Console:PublicUrl</c>, else the silo's first HTTP address; Slack may use <c>Slack:AlertLinkBase</c>.
/// </summary>
public sealed class AlertLinks
{
    /// <param name="baseUri">The console's base URL; a missing trailing slash is added.</param>
    /// <param name="slackBase">Where Slack readers reach it, when elsewhere.</param>
    public AlertLinks(Uri baseUri, Uri? slackBase = null)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        Base = WithSlash(baseUri);
        SlackBase = slackBase is null ? Base : WithSlash(slackBase);
    }

    public AlertLinks(IOptions<ConsoleOptions> console, IConfiguration configuration)
        : this(
            new Uri(console.Value.PublicUrl is { Length: > 0 } url ? url : ListeningAddress(configuration["urls"])),
            configuration["Slack:AlertLinkBase"] is { Length: > 0 } slack && IsHttpUrl(slack) ? new Uri(slack) : null)
    {
    }

    /// <summary>The console's base URL (RSS channel and item links).</summary>
    public Uri Base { get; }

    /// <summary>The base URL of links in Slack messages.</summary>
    public Uri SlackBase { get; }

    /// <summary>The page that explains one alert (<c>/alerts/{id}</c>).</summary>
    public Uri Page(string alertId) => PageOf(Base, alertId);

    /// <summary>The alert's page as Slack readers reach it.</summary>
    public Uri SlackPage(string alertId) => PageOf(SlackBase, alertId);

    /// <summary><paramref name="uri"/> ending in '/', so relative paths resolve under it (a base path is kept).</summary>
    public static Uri WithSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");

    /// <summary>The page of an alert under any base URL (a request's own host, for a reader on the other side of a proxy).</summary>
    public static Uri PageOf(Uri baseUri, string alertId)
    {
        return new Uri(WithSlash(baseUri), "alerts/" + Uri.EscapeDataString(alertId));
    }

    public static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary>The first of ASP.NET Core's <c>urls</c> (";"-separated), a wildcard host read as localhost.</summary>
    private static string ListeningAddress(string? urls)
    {
        var first = (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (first is null) return "http://localhost:5000/";
        foreach (var wildcard in new[] { "://*", "://+", "://0.0.0.0", "://[::]" })
        {
            first = first.Replace(wildcard, "://localhost", StringComparison.Ordinal);
        }

        return IsHttpUrl(first) ? first : "http://localhost:5000/";
    }
}

namespace OrleansDetect.Client.Gateway;

/// <summary>How to reach the ingest gateways and how hard to try.</summary>
/// <param name="Gateways">Base URLs; requests go round-robin and move to the next on failure.</param>
/// <param name="ApiKey">Sent as a bearer token; never printed.</param>
/// <param name="MaxAttempts">Tries per request for 503s and connection errors.</param>
/// <param name="Timeout">Per request; a batch's 202 waits until its events are processed.</param>
internal sealed record GatewaySettings(IReadOnlyList<Uri> Gateways, string? ApiKey, int MaxAttempts = 5, TimeSpan? Timeout = null)
{
    public static readonly Uri DefaultGateway = new("http://localhost:5000/");

    /// <summary>First retry waits about this long; each further retry doubles it up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A server's Retry-After is honoured up to this long, so a bad header cannot stall the client.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Parses gateway URLs; each value may hold several, separated by commas or spaces.</summary>
    public static IReadOnlyList<Uri> ParseGateways(IEnumerable<string> values, out string? error)
    {
        var gateways = new List<Uri>();
        foreach (var value in values)
        {
            foreach (var text in value.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    error = $"'{text}' is not an http(s) gateway URL (e.g. http://localhost:5000)";
                    return [];
                }

                // A trailing slash makes relative API paths append to a base path instead of replacing its last segment.
                gateways.Add(uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.GetLeftPart(UriPartial.Path) + "/"));
            }
        }

        error = null;
        return gateways.Count > 0 ? gateways : [DefaultGateway];
    }
}

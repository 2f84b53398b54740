using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace OrleansDetect.Grains.Sinks.Slack;

/// <summary>
/// Posts payloads to the configured Slack incoming webhook. Registered by
/// <see cref="SlackSinkServiceCollectionExtensions.AddSlackSink"/> with retries (429 Retry-After, 5xx,
/// network errors) in its handler pipeline, so a call returns once Slack accepted the message or every
/// attempt failed.
/// </summary>
public sealed partial class SlackWebhookClient(HttpClient http, IOptions<SlackOptions> options)
{
    /// <summary>Marks requests made by this client, e.g. for a tracing filter that must not record the secret URL.</summary>
    public static readonly HttpRequestOptionsKey<bool> WebhookRequestMarker = new("OrleansDetect.SlackWebhook");

    [GeneratedRegex("^[a-z_]{1,40}$")]
    private static partial Regex SlackErrorCode();

    /// <summary>True for a request this client sent.</summary>
    public static bool IsWebhookRequest(HttpRequestMessage request) =>
        request.Options.TryGetValue(WebhookRequestMarker, out var marked) && marked;

    /// <exception cref="InvalidOperationException">No webhook is configured.</exception>
    /// <exception cref="SlackDeliveryException">Slack refused the message, or it could not be reached, on the final attempt.</exception>
    public async Task PostAsync(string jsonPayload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jsonPayload);
        var url = options.Value.WebhookUrl;
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new InvalidOperationException("Slack:WebhookUrl is not configured.");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(jsonPayload, Encoding.UTF8, "application/json"),
        };
        request.Options.Set(WebhookRequestMarker, true);

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            // HttpRequestException messages name host and port at most, never the path that holds the secret.
            throw new SlackDeliveryException($"Slack webhook unreachable: {ex.Message}", statusCode: null, ex);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            // Slack answers errors with a short code ("invalid_payload", "no_service"). Anything else, such as a proxy's
            // or a 404 page that echoes the request path, may hold the webhook's secret path: only the status is kept,
            // and its standard name rather than the server's reason phrase.
            var body = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
            var code = SlackErrorCode().IsMatch(body) ? $": {body}" : "";
            throw new SlackDeliveryException(
                $"Slack webhook answered {(int)response.StatusCode} ({response.StatusCode}){code}", response.StatusCode);
        }
    }
}

/// <summary>A Slack message was not delivered. The message never contains the webhook URL.</summary>
public sealed class SlackDeliveryException(string message, HttpStatusCode? statusCode, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>Slack's answer to the final attempt; null when no answer came.</summary>
    public HttpStatusCode? StatusCode { get; } = statusCode;
}

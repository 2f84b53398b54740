using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace OrleansDetect.Client.Gateway;

/// <summary>
/// The silos' HTTP ingest API. Requests spread round-robin over the gateways; a 503 (or 502/504/429) or a
/// connection error moves the request to the next gateway after a bounded, growing backoff that honours
/// Retry-After. Other answers (400, 401, 413, 415) are final: retrying cannot fix them.
/// </summary>
internal sealed class HttpGateway : IIngestTarget
{
    private static readonly MediaTypeHeaderValue Ndjson = new("application/x-ndjson");

    private readonly GatewaySettings _settings;

    /// <summary>Where and with which key it talks (the alert commands reuse them).</summary>
    public GatewaySettings Settings => _settings;
    private readonly HttpClient _http;
    private int _next = -1;

    public HttpGateway(GatewaySettings settings, HttpMessageHandler? handler = null)
    {
        _settings = settings;
        _http = new HttpClient(handler ?? CreateHandler(), disposeHandler: true)
        {
            Timeout = settings.Timeout ?? TimeSpan.FromSeconds(100),
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("orleansdetect", "0.1"));
    }

    public string Description => string.Join(", ", _settings.Gateways.Select(g => g.ToString().TrimEnd('/')));

    public async Task<IngestOutcome> PostFlowsAsync(ReadOnlyMemory<byte> ndjson, CancellationToken cancellationToken)
    {
        // One span per batch, around every attempt; the HTTP calls beneath it carry its traceparent.
        using var span = ClientTelemetry.Source.StartActivity("client.send");
        span?.SetTag("batch.bytes", ndjson.Length);
        var outcome = await PostAsync(ndjson, cancellationToken);
        if (span is not null)
        {
            span.SetTag("attempts", outcome.Attempts);
            if (outcome.Response is { } answer)
            {
                span.SetTag("events.accepted", answer.Accepted);
                span.SetTag("events.rejected", answer.Rejected);
            }
            else
            {
                span.SetStatus(ActivityStatusCode.Error, outcome.Failure);
            }
        }

        return outcome;
    }

    private async Task<IngestOutcome> PostAsync(ReadOnlyMemory<byte> ndjson, CancellationToken cancellationToken)
    {
        var (response, failure, attempts) = await SendAsync(
            gateway =>
            {
                var content = new ReadOnlyMemoryContent(ndjson);
                content.Headers.ContentType = Ndjson;
                return new HttpRequestMessage(HttpMethod.Post, new Uri(gateway, "api/v1/flows")) { Content = content };
            },
            cancellationToken);

        if (response is null) return IngestOutcome.Failed(failure!, null, attempts);
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK)
            {
                try
                {
                    var body = await response.Content.ReadFromJsonAsync(ClientJsonContext.Default.IngestResponse, cancellationToken);
                    if (body is not null) return IngestOutcome.Answered(body, response.StatusCode, attempts);
                }
                catch (JsonException e)
                {
                    return IngestOutcome.Failed($"{Describe(response)}: unreadable answer ({e.Message})", response.StatusCode, attempts);
                }

                return IngestOutcome.Failed($"{Describe(response)}: empty answer", response.StatusCode, attempts);
            }

            return IngestOutcome.Failed(await DescribeFailureAsync(response, cancellationToken), response.StatusCode, attempts);
        }
    }

    public async Task<IReadOnlyList<AlertSummary>> GetAlertsAsync(AlertQuery query, CancellationToken cancellationToken)
    {
        var path = new StringBuilder("api/v1/alerts?limit=").Append(query.Limit.ToString(CultureInfo.InvariantCulture));
        if (query.Workload is not null) path.Append("&workload=").Append(Uri.EscapeDataString(query.Workload));
        if (query.Type is not null) path.Append("&type=").Append(Uri.EscapeDataString(query.Type));
        var relative = path.ToString();

        var (response, failure, _) = await SendAsync(gateway => new HttpRequestMessage(HttpMethod.Get, new Uri(gateway, relative)), cancellationToken);
        if (response is null) throw new IngestTargetException(failure!);
        using (response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new IngestTargetException(await DescribeFailureAsync(response, cancellationToken));
            }

            try
            {
                return await response.Content.ReadFromJsonAsync(ClientJsonContext.Default.AlertSummaryArray, cancellationToken) ?? [];
            }
            catch (JsonException e)
            {
                throw new IngestTargetException($"{Describe(response)}: unreadable alerts ({e.Message})");
            }
        }
    }

    public void Dispose()
    {
        _http.Dispose();
    }

    /// <summary>
    /// Sends until a gateway gives a final answer or the attempts run out. Returns the final response
    /// (the caller disposes it) or, when none came, the last failure.
    /// </summary>
    private async Task<(HttpResponseMessage? Response, string? Failure, int Attempts)> SendAsync(
        Func<Uri, HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        var gateways = _settings.Gateways;
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)gateways.Count);
        string failure = "no attempt made";
        for (var attempt = 1; ; attempt++)
        {
            var gateway = gateways[(start + attempt - 1) % gateways.Count];
            TimeSpan? retryAfter = null;
            using (var request = createRequest(gateway))
            {
                if (_settings.ApiKey is { Length: > 0 } key)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                }

                try
                {
                    var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
                    if (!IsRetryable(response.StatusCode) || attempt >= _settings.MaxAttempts)
                    {
                        return (response, null, attempt);
                    }

                    retryAfter = RetryAfter(response);
                    failure = await DescribeFailureAsync(response, cancellationToken);
                    response.Dispose();
                }
                catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = $"{TrimSlash(gateway)}: {e.Message}";
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // HttpClient's own timeout. A POST may have been processed anyway; sending it again is
                    // harmless because detection counts distinct targets.
                    failure = $"{TrimSlash(gateway)}: no answer within {_http.Timeout.TotalSeconds:0} s";
                }
            }

            if (attempt >= _settings.MaxAttempts) return (null, $"{failure} (after {attempt} attempts)", attempt);
            await Task.Delay(Backoff(attempt, retryAfter), cancellationToken);
        }
    }

    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var exponential = _settings.FirstBackoff * Math.Pow(2, attempt - 1);
        if (exponential > _settings.MaxBackoff) exponential = _settings.MaxBackoff;
        // Jitter keeps several clients that failed together from retrying in lockstep.
        var backoff = exponential * (0.5 + Random.Shared.NextDouble() / 2);
        if (retryAfter is not { } after) return backoff;
        if (after > _settings.MaxRetryAfter) after = _settings.MaxRetryAfter;
        return after > backoff ? after : backoff;
    }

    private static bool IsRetryable(HttpStatusCode status) => status is HttpStatusCode.ServiceUnavailable
        or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    /// <summary>"HTTP 401 Unauthorized from http://…: title: detail" from the problem details when there are any.</summary>
    private static async Task<string> DescribeFailureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException)
        {
            text = "";
        }

        var detail = "";
        if (text.Length > 0)
        {
            try
            {
                var problem = JsonSerializer.Deserialize(text, ClientJsonContext.Default.ProblemDetailsText);
                detail = string.Join(": ", new[] { problem?.Title, problem?.Detail }.Where(s => !string.IsNullOrWhiteSpace(s)));
            }
            catch (JsonException)
            {
                detail = text.Length > 300 ? text[..300] + "…" : text;
            }
        }

        return detail.Length > 0 ? $"{Describe(response)}: {detail.Trim()}" : Describe(response);
    }

    private static string Describe(HttpResponseMessage response) =>
        $"HTTP {(int)response.StatusCode} {response.ReasonPhrase} from {TrimSlash(response.RequestMessage?.RequestUri?.GetLeftPart(UriPartial.Authority))}";

    private static string TrimSlash(object? uri) => uri?.ToString()?.TrimEnd('/') ?? "gateway";

    private static SocketsHttpHandler CreateHandler() => new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(5),
        // Re-resolve gateway names now and then so a replaced silo behind a DNS name is picked up.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    };
}

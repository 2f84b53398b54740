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
/// Retry-After. Other answers (400, 401, 413, 415) are final: retrying cannot fix them. Every batch carries its
/// own <c>Idempotency-Key</c>, the same on each attempt; a 503 that lists the workloads the cluster could not reach
/// has the rest of the batch processed, and only those workloads' lines are sent again.
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

    public Task<IngestOutcome> PostFlowsAsync(ReadOnlyMemory<byte> ndjson, CancellationToken cancellationToken) =>
        PostFlowsAsync(ndjson, static _ => { }, cancellationToken);

    public async Task<IngestOutcome> PostFlowsAsync(ReadOnlyMemory<byte> ndjson, Action<int> acknowledged, CancellationToken cancellationToken)
    {
        // One span per batch, around every attempt; the HTTP calls beneath it carry its traceparent.
        using var span = ClientTelemetry.Source.StartActivity("client.send");
        span?.SetTag("batch.bytes", ndjson.Length);
        var outcome = await PostAsync(ndjson, acknowledged, cancellationToken);
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

    /// <summary>
    /// Posts the batch; when a gateway answers that it processed only part of it (503 listing the failed workloads'
    /// lines), resends just those lines, until all are processed or the attempts run out.
    /// </summary>
    private async Task<IngestOutcome> PostAsync(ReadOnlyMemory<byte> ndjson, Action<int> acknowledged, CancellationToken cancellationToken)
    {
        // One key per batch, the same on every attempt and every resent part: a workload that processed it already
        // answers from memory, so a resend after a timeout, a lost answer or a partial failure counts nothing twice.
        var key = Guid.NewGuid().ToString("N");
        var part = new BatchPart(ndjson, null);
        var total = new IngestResponse();
        var attempts = 0;
        while (true)
        {
            var body = part.Body;
            var (response, failure, tries) = await SendAsync(
                gateway =>
                {
                    var content = new ReadOnlyMemoryContent(body);
                    content.Headers.ContentType = Ndjson;
                    var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway, "api/v1/flows")) { Content = content };
                    request.Headers.Add(IdempotencyKeyHeader, key);
                    return request;
                },
                _settings.MaxAttempts - attempts,
                cancellationToken);
            attempts += tries;

            if (response is null) return IngestOutcome.Failed(failure! + PartlyNote(total), null, attempts);
            using (response)
            {
                if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK)
                {
                    IngestResponse? answer;
                    try
                    {
                        answer = await response.Content.ReadFromJsonAsync(ClientJsonContext.Default.IngestResponse, cancellationToken);
                    }
                    catch (JsonException e)
                    {
                        return IngestOutcome.Failed($"{Describe(response)}: unreadable answer ({e.Message})", response.StatusCode, attempts);
                    }

                    if (answer is null) return IngestOutcome.Failed($"{Describe(response)}: empty answer", response.StatusCode, attempts);
                    acknowledged(answer.Accepted);
                    return IngestOutcome.Answered(part.AddTo(total, answer.Accepted, answer.Rejected, answer.RejectedBy, answer.Late, answer.Errors), response.StatusCode, attempts);
                }

                if (await ReadPartlyProcessedAsync(response, cancellationToken) is not { } partly)
                {
                    return IngestOutcome.Failed(await DescribeFailureAsync(response, cancellationToken) + PartlyNote(total), response.StatusCode, attempts);
                }

                total = part.AddTo(total, partly.Accepted, partly.Rejected, partly.RejectedBy, partly.Late, partly.Errors);
                part = part.Select(partly.Failed!);
                acknowledged(partly.Accepted);
                if (attempts >= _settings.MaxAttempts || part.Body.IsEmpty)
                {
                    return IngestOutcome.Failed(
                        $"{Describe(response)}: {partly.FailedEvents} events of {partly.Failed!.Length} workloads not processed after {attempts} attempts{PartlyNote(total)}",
                        response.StatusCode, attempts);
                }

                await Task.Delay(Backoff(attempts, RetryAfter(response)), cancellationToken);
            }
        }
    }

    private const string IdempotencyKeyHeader = "Idempotency-Key";

    private static string PartlyNote(IngestResponse total) => total.Accepted > 0 ? $" ({total.Accepted} events of the batch were accepted before)" : "";

    /// <summary>The body of a 503 that says which part of the batch was not processed; null for any other answer.</summary>
    private static async Task<PartlyProcessedResponse?> ReadPartlyProcessedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode != HttpStatusCode.ServiceUnavailable || response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) != true)
        {
            return null;
        }

        try
        {
            // As text: the buffered body is read again by whoever looks at this answer next (a stream reads once).
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var answer = JsonSerializer.Deserialize(text, ClientJsonContext.Default.PartlyProcessedResponse);
            return answer?.Failed is { Length: > 0 } ? answer : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The lines of a batch still to send, and for each the line of the original batch it is (null: the same).</summary>
    private sealed record BatchPart(ReadOnlyMemory<byte> Body, int[]? OriginalLines)
    {
        private int Original(int line) => OriginalLines is null ? line : line >= 1 && line <= OriginalLines.Length ? OriginalLines[line - 1] : line;

        /// <summary>The running total with this part's answer added, its line errors named by original line.</summary>
        public IngestResponse AddTo(IngestResponse total, int accepted, int rejected, Dictionary<string, int>? rejectedBy, int late, LineError[] errors) => new()
        {
            Accepted = total.Accepted + accepted,
            Rejected = total.Rejected + rejected,
            RejectedBy = AddReasons(total.RejectedBy, rejectedBy),
            Late = total.Late + late,
            Errors = [.. total.Errors, .. errors.Select(e => e with { Line = Original(e.Line) })],
        };

        private static Dictionary<string, int>? AddReasons(Dictionary<string, int>? total, Dictionary<string, int>? part)
        {
            if (part is not { Count: > 0 }) return total;
            var sum = total is null ? new Dictionary<string, int>() : new Dictionary<string, int>(total);
            foreach (var (reason, count) in part)
            {
                sum[reason] = sum.GetValueOrDefault(reason) + count;
            }

            return sum;
        }

        /// <summary>A new part holding only the failed workloads' lines (1-based lines of this part), in order.</summary>
        public BatchPart Select(FailedWorkload[] failed)
        {
            var wanted = new HashSet<int>(failed.SelectMany(f => f.Lines));
            var span = Body.Span;
            var selected = new byte[span.Length];
            var length = 0;
            var originals = new List<int>(wanted.Count);
            for (int line = 1, offset = 0; offset < span.Length; line++)
            {
                var end = span[offset..].IndexOf((byte)'\n');
                var next = end < 0 ? span.Length : offset + end + 1;
                if (wanted.Contains(line))
                {
                    span[offset..next].CopyTo(selected.AsSpan(length));
                    length += next - offset;
                    if (end < 0) selected[length++] = (byte)'\n';
                    originals.Add(Original(line));
                }

                offset = next;
            }

            return new BatchPart(selected.AsMemory(0, length), [.. originals]);
        }
    }

    public async Task<IReadOnlyList<AlertSummary>> GetAlertsAsync(AlertQuery query, CancellationToken cancellationToken)
    {
        var path = new StringBuilder("api/v1/alerts?limit=").Append(query.Limit.ToString(CultureInfo.InvariantCulture));
        if (query.Workload is not null) path.Append("&workload=").Append(Uri.EscapeDataString(query.Workload));
        if (query.Type is not null) path.Append("&type=").Append(Uri.EscapeDataString(query.Type));
        var relative = path.ToString();

        var (response, failure, _) = await SendAsync(gateway => new HttpRequestMessage(HttpMethod.Get, new Uri(gateway, relative)), _settings.MaxAttempts, cancellationToken);
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
        Func<Uri, HttpRequestMessage> createRequest, int maxAttempts, CancellationToken cancellationToken)
    {
        maxAttempts = Math.Max(maxAttempts, 1);
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
                    if (!IsRetryable(response.StatusCode) || attempt >= maxAttempts)
                    {
                        return (response, null, attempt);
                    }

                    // A batch processed in part is answered to the caller, which resends only what failed.
                    if (await ReadPartlyProcessedAsync(response, cancellationToken) is not null) return (response, null, attempt);

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
                    // HttpClient's own timeout. A POST may have been processed anyway; sending it again (with the
                    // same Idempotency-Key) is answered from memory by the workloads that did.
                    failure = $"{TrimSlash(gateway)}: no answer within {_http.Timeout.TotalSeconds:0} s";
                }
            }

            if (attempt >= maxAttempts) return (null, $"{failure} (after {attempt} attempts)", attempt);
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

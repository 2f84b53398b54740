using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Orleans.Persistence.Redis;
using OrleansDetect.Grains.Diagnostics;
using OrleansDetect.Ingest;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Silo.Api;

/// <summary><c>POST /api/v1/flows</c>: NDJSON or a JSON array of flow events.</summary>
public static class IngestApi
{
    private static readonly string[] AcceptedMediaTypes =
        ["application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/json"];

    public static IEndpointRouteBuilder MapIngestApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/flows", PostFlows)
            .WithName("PostFlows")
            .DisableAntiforgery();
        return app;
    }

    /// <summary>What the gateway answers for an accepted body.</summary>
    /// <param name="Skipped">Lines that said they hold no flow (VPC NODATA/SKIPDATA).</param>
    /// <param name="RejectedBy">Rejected lines by reason (<c>json</c>, <c>format</c>, or the first bad field), adding up to <paramref name="Rejected"/>.</param>
    public sealed record IngestResponse(int Accepted, int Rejected, int Late, IReadOnlyList<LineErrorResponse> Errors, int Skipped,
        IReadOnlyDictionary<string, int> RejectedBy);

    public sealed record LineErrorResponse(int Line, string Error);

    internal static async Task<Results<Accepted<IngestResponse>, ProblemHttpResult>> PostFlows(
        HttpContext context,
        IGrainFactory grains,
        ApiKeyCheck keys,
        IngestAvailability availability,
        IOptions<IngestOptions> options,
        CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (!keys.IsAuthorized(request, KeyRole.Ingest))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "Ingest needs 'Authorization: Bearer <key>' with an ingest or admin key.");
        }

        if (availability.Unavailable() is { } reason) return Unavailable(context, reason);

        // The content type says NDJSON or a JSON array (never the first byte: an NDJSON body whose first line is
        // broken must not be read as an array); ?format= names the log formats.
        var format = IsJsonArrayMediaType(request.ContentType) ? FlowFormat.JsonArray : FlowFormat.Ndjson;
        if (request.Query.TryGetValue("format", out var formatName) && !FlowFormats.TryParse(formatName, out format))
        {
            return Problem(StatusCodes.Status400BadRequest, "Unknown format", $"Query parameter 'format' must be ndjson, zeek or vpc; got '{formatName}'.");
        }

        // Zeek TSV and VPC lines are plain text; a log shipper may label them so.
        if (!IsAcceptedMediaType(request.ContentType) && !(format is FlowFormat.Zeek or FlowFormat.Vpc && IsPlainText(request.ContentType)))
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"Send flow events as application/x-ndjson (one JSON object per line) or application/json (an array), or Zeek/VPC lines as text/plain with ?format=zeek|vpc; got '{request.ContentType ?? "none"}'.");
        }

        var limit = options.Value.MaxBodyBytes;
        if (request.ContentLength > limit) return TooLarge(context, limit);

        // Our own limit replaces Kestrel's default (30 MB), one byte over it: we refuse a larger body ourselves, and
        // Kestrel stops reading (rather than draining a chunked body of any size) once it is passed.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit + 1;
        }

        var key = PartlyProcessed.ReadKey(request, out var keyError);
        if (keyError is not null) return Problem(StatusCodes.Status400BadRequest, "Bad idempotency key", keyError);

        var started = Stopwatch.GetTimestamp();
        var body = await ReadBodyAsync(request.BodyReader, request.ContentLength, limit, cancellationToken);
        if (body is null) return TooLarge(context, limit);

        ParsedFlows parsed;
        using (var span = DetectTelemetry.Source.StartActivity("ingest.parse"))
        {
            try
            {
                parsed = new FlowParser(options.Value.MaxErrorsReported).Parse(body.Memory.Span, format);
            }
            finally
            {
                body.Dispose();
            }

            IngestTelemetry.Parsed(span, parsed);
        }

        if (parsed.IsEmpty)
        {
            return Problem(StatusCodes.Status400BadRequest, "Empty body", "The request body holds no flow events.");
        }

        var late = 0;
        IngestResult routed = default;
        if (parsed.Batches.Length > 0)
        {
            try
            {
                routed = await grains.GetGrain<IIngestRouterGrain>(0).Ingest(parsed.Batches, key);
                late = routed.Late;
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                // A failure beyond membership (storage refusing). Some workloads of this batch may have been processed;
                // a resend with the same Idempotency-Key is answered from memory by those.
                return Unavailable(context, $"The cluster could not take the batch right now ({ex.GetType().Name}); retry shortly.");
            }
        }

        DetectTelemetry.IngestDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);

        var errors = parsed.Errors.Select(e => new LineErrorResponse(e.Line, e.Error)).ToArray();
        if (routed.AnyFailed) return PartlyProcessed.Answer(context, parsed, routed, errors);
        return TypedResults.Accepted((string?)null, new IngestResponse(parsed.Accepted, parsed.Rejected, late, errors, parsed.Skipped,
            parsed.RejectionReasons.ToDictionary()));
    }

    private static bool IsPlainText(string? contentType) =>
        contentType is not null && contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase);

    private static bool IsJsonArrayMediaType(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private static bool IsAcceptedMediaType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return false;
        var mediaType = contentType.AsSpan();
        var semicolon = mediaType.IndexOf(';');
        if (semicolon >= 0) mediaType = mediaType[..semicolon];
        mediaType = mediaType.Trim();
        foreach (var accepted in AcceptedMediaTypes)
        {
            if (mediaType.Equals(accepted, StringComparison.OrdinalIgnoreCase)) return true;
        }

        return false;
    }

    /// <summary>Reads the whole body into a pooled buffer; null when it exceeds <paramref name="limit"/>.</summary>
    private static async Task<PooledBody?> ReadBodyAsync(PipeReader reader, long? contentLength, long limit, CancellationToken cancellationToken)
    {
        var buffer = new PooledBody(contentLength);
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken);
                if (buffer.Length + read.Buffer.Length > limit)
                {
                    reader.AdvanceTo(read.Buffer.End);
                    buffer.Dispose();
                    return null;
                }

                buffer.Append(read.Buffer);
                reader.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted) return buffer;
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own bound (one byte over ours) tripped first.
            buffer.Dispose();
            return null;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static bool IsUnavailable(Exception ex) =>
        MembershipFailures.IsTransient(ex) || ex is RedisStorageException or StackExchange.Redis.RedisException;

    /// <summary>503 with Retry-After: the client backs off and moves to another gateway.</summary>
    private static ProblemHttpResult Unavailable(HttpContext context, string detail)
    {
        context.Response.Headers.RetryAfter = RetryAfterSeconds;
        return Problem(StatusCodes.Status503ServiceUnavailable, "Service unavailable", detail);
    }

    private const string RetryAfterSeconds = "1";

    /// <summary>413, and the connection closes after it: Kestrel would otherwise read (and discard) the rest of a body of any size.</summary>
    private static ProblemHttpResult TooLarge(HttpContext context, long limit)
    {
        context.Response.Headers.Connection = "close";
        return Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The body exceeds the {limit} byte limit (Ingest:MaxBodyBytes); split it into smaller batches.");
    }

    internal static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    /// <summary>A growable body buffer rented from the shared pool.</summary>
    /// <summary>
    /// The body in one array: pooled up to <see cref="MaxPooled"/>, a plain array beyond (the shared pool would keep
    /// a 16 MiB array per core for good after one large request).
    /// </summary>
    private sealed class PooledBody : IDisposable
    {
        // Up to the default Ingest:MaxBodyBytes: a 10,000-line batch is about 2 MB, and a body above the pooled size was
        // a fresh large-object array every request (≈ 50 MB/s of them at 10,000 workloads, each one a step towards a gen2 GC).
        private const int MaxPooled = 16 * 1024 * 1024;
        private const int DefaultCapacity = 64 * 1024;
        private byte[] _array;

        /// <param name="expectedLength">The request's Content-Length, when it gave one: the buffer is rented at that size once.</param>
        public PooledBody(long? expectedLength) =>
            _array = ArrayPool<byte>.Shared.Rent(expectedLength is > DefaultCapacity and <= MaxPooled ? (int)expectedLength.Value : DefaultCapacity);

        public int Length { get; private set; }

        public ReadOnlyMemory<byte> Memory => _array.AsMemory(0, Length);

        public void Append(in ReadOnlySequence<byte> data)
        {
            var needed = Length + (int)data.Length;
            if (needed > _array.Length)
            {
                var size = Math.Max(needed, _array.Length * 2);
                var bigger = size <= MaxPooled ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);
                _array.AsSpan(0, Length).CopyTo(bigger);
                Release(_array);
                _array = bigger;
            }

            data.CopyTo(_array.AsSpan(Length));
            Length = needed;
        }

        public void Dispose()
        {
            Release(_array);
            _array = [];
            Length = 0;
        }

        private static void Release(byte[] array)
        {
            if (array.Length is > 0 and <= MaxPooled) ArrayPool<byte>.Shared.Return(array);
        }
    }
}

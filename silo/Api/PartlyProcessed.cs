using Microsoft.AspNetCore.Http.HttpResults;
using OrleansDetect.Grains.Diagnostics;
using OrleansDetect.Ingest;

namespace OrleansDetect.Silo.Api;

/// <summary>
/// The answer to a batch some of whose workloads could not be reached (their silo died, or the batch ran past
/// <c>Ingest:BatchDeadline</c>): <c>503</c> with <c>Retry-After</c>, as problem details that also say what was done —
/// <c>accepted</c> counts only processed events — and list, per failed workload, the body lines to resend. A client
/// that resends only those lines, with the same <c>Idempotency-Key</c>, loses nothing and counts nothing twice; one
/// that resends the whole body with that key is answered from memory by the workloads that processed it.
/// </summary>
internal static class PartlyProcessed
{
    /// <summary>One workload whose events were not processed, and the 1-based body lines (array elements) that held them.</summary>
    public sealed record FailedWorkload(string Workload, int[] Lines);

    /// <summary>The <c>Idempotency-Key</c> request header (IETF draft-ietf-httpapi-idempotency-key-header).</summary>
    public const string KeyHeader = "Idempotency-Key";

    public const int MaxKeyLength = 255;

    /// <summary>The request's batch key; an error text when the header is malformed.</summary>
    public static IngestBatchKey ReadKey(HttpRequest request, out string? error)
    {
        error = null;
        if (!request.Headers.TryGetValue(KeyHeader, out var values)) return IngestBatchKey.None;
        if (values.Count != 1 || values[0] is not { Length: > 0 and <= MaxKeyLength } key)
        {
            error = $"Header '{KeyHeader}' must appear once and hold 1-{MaxKeyLength} characters.";
            return IngestBatchKey.None;
        }

        // The draft sends the key as a structured-field string ("…"); a bare token is accepted too.
        if (key.Length >= 2 && key[0] == '"' && key[^1] == '"') key = key[1..^1];
        return key.Length == 0 ? IngestBatchKey.None : IngestBatchKey.From(key);
    }

    public static ProblemHttpResult Answer(HttpContext context, ParsedFlows parsed, IngestResult result, IReadOnlyList<IngestApi.LineErrorResponse> errors)
    {
        var failed = new FailedWorkload[result.Failed!.Length];
        var failedEvents = 0;
        for (var i = 0; i < failed.Length; i++)
        {
            var w = result.Failed[i];
            failed[i] = new FailedWorkload(parsed.Batches[w].Workload, parsed.LinesOf(w).ToArray());
            failedEvents += parsed.Batches[w].Events.Length;
        }

        DetectTelemetry.EventsFailed.Add(failedEvents);
        context.Response.Headers.RetryAfter = "1";
        return TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Partly processed",
            detail: $"{failed.Length} of {parsed.Batches.Length} workloads ({failedEvents} events) could not be processed right now; "
                    + $"the other events were. Resend the lines listed in 'failed' (with the same {KeyHeader}).",
            extensions: new Dictionary<string, object?>
            {
                ["accepted"] = parsed.Accepted - failedEvents,
                ["rejected"] = parsed.Rejected,
                ["rejectedBy"] = parsed.RejectionReasons.ToDictionary(),
                ["late"] = result.Late,
                ["skipped"] = parsed.Skipped,
                ["errors"] = errors,
                ["failedEvents"] = failedEvents,
                ["failed"] = failed,
            });
    }
}

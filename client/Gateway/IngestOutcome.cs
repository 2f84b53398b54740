using System.Net;

namespace OrleansDetect.Client.Gateway;

/// <summary>What became of one batch: the gateway's answer, or why there was none.</summary>
internal sealed record IngestOutcome
{
    /// <summary>The gateway's answer; null when the batch failed.</summary>
    public IngestResponse? Response { get; init; }

    /// <summary>The last HTTP status seen; null when no gateway answered at all.</summary>
    public HttpStatusCode? Status { get; init; }

    /// <summary>Why the batch failed (status and problem text, or the connection error).</summary>
    public string? Failure { get; init; }

    /// <summary>How many requests it took (1 = no retry).</summary>
    public int Attempts { get; init; }

    public bool Succeeded => Response is not null;

    public static IngestOutcome Answered(IngestResponse response, HttpStatusCode status, int attempts) =>
        new() { Response = response, Status = status, Attempts = attempts };

    public static IngestOutcome Failed(string failure, HttpStatusCode? status, int attempts) =>
        new() { Failure = failure, Status = status, Attempts = attempts };
}

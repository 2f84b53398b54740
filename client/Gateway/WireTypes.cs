using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansDetect.Client.Gateway;

/// <summary>Body of the gateway's 202 answer to <c>POST /api/v1/flows</c>.</summary>
internal sealed record IngestResponse
{
    public int Accepted { get; init; }
    public int Rejected { get; init; }
    /// <summary>Events older than the workload's window allows; accepted but not counted.</summary>
    public int Late { get; init; }
    public LineError[] Errors { get; init; } = [];
    /// <summary>Rejected lines by reason (<c>json</c>, <c>format</c>, or the first bad field's name); absent from older gateways.</summary>
    public Dictionary<string, int>? RejectedBy { get; init; }
}

/// <summary>A rejected line; <see cref="Line"/> is 1-based within the request body.</summary>
internal sealed record LineError(int Line, string Error);

/// <summary>
/// The gateway's 503 for a batch it processed only partly (problem details with extensions): what it did, and per
/// workload it could not reach, the body lines to resend.
/// </summary>
internal sealed record PartlyProcessedResponse
{
    public string? Title { get; init; }
    public string? Detail { get; init; }
    public int Accepted { get; init; }
    public int Rejected { get; init; }
    public Dictionary<string, int>? RejectedBy { get; init; }
    public int Late { get; init; }
    public LineError[] Errors { get; init; } = [];
    public int FailedEvents { get; init; }
    public FailedWorkload[]? Failed { get; init; }
}

internal sealed record FailedWorkload(string Workload, int[] Lines);

/// <summary>The fields of an alert the client shows (the API sends more).</summary>
internal sealed record AlertSummary
{
    public string Id { get; init; } = "";
    public string Type { get; init; } = "";
    public string Severity { get; init; } = "";
    public string Workload { get; init; } = "";
    public string Title { get; init; } = "";
    public string Protocol { get; init; } = "";
    public int Port { get; init; }
    public string Scope { get; init; } = "";
    public int DistinctTargets { get; init; }
    public string[] SampleTargets { get; init; } = [];
    public DateTimeOffset FirstSeen { get; init; }
    public DateTimeOffset LastSeen { get; init; }
    public int Updates { get; init; }
    public string[] Mitre { get; init; } = [];
}

/// <summary>RFC 7807 problem details, as far as the client prints them.</summary>
internal sealed record ProblemDetailsText(string? Title, string? Detail);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(IngestResponse))]
[JsonSerializable(typeof(PartlyProcessedResponse))]
[JsonSerializable(typeof(AlertSummary[]))]
[JsonSerializable(typeof(ProblemDetailsText))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;

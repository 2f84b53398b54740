namespace OrleansDetect.Client.Gateway;

/// <summary>
/// Where the commands send flow batches and read alerts back. <see cref="HttpGateway"/> (the ingest API of
/// one or more silos) is the only target today; a direct Orleans-client target implements this same
/// interface and is chosen in <see cref="ClientCommandLine.CreateTarget"/>.
/// </summary>
internal interface IIngestTarget : IDisposable
{
    /// <summary>What the target is, for the console ("http://localhost:5000").</summary>
    string Description { get; }

    /// <summary>Sends one NDJSON batch (whole lines, each ending in <c>\n</c>). Never throws for a failed send: the outcome says what went wrong.</summary>
    Task<IngestOutcome> PostFlowsAsync(ReadOnlyMemory<byte> ndjson, CancellationToken cancellationToken);

    /// <summary>
    /// Sends one NDJSON batch like <see cref="PostFlowsAsync(ReadOnlyMemory{byte}, CancellationToken)"/> and calls
    /// <paramref name="acknowledged"/> with each part the target confirms, as it confirms it (the whole batch at once,
    /// or the processed part first and each resent remainder later). From the first call on, <paramref name="ndjson"/>
    /// is no longer read, so the caller may reuse its buffer while the remainder is resent.
    /// </summary>
    async Task<IngestOutcome> PostFlowsAsync(ReadOnlyMemory<byte> ndjson, Action<int> acknowledged, CancellationToken cancellationToken)
    {
        var outcome = await PostFlowsAsync(ndjson, cancellationToken);
        if (outcome.Response is { } response) acknowledged(response.Accepted);
        return outcome;
    }

    /// <summary>Recent alerts, newest first.</summary>
    /// <exception cref="IngestTargetException">The target could not be read after retries.</exception>
    Task<IReadOnlyList<AlertSummary>> GetAlertsAsync(AlertQuery query, CancellationToken cancellationToken);
}

/// <summary>Filters of <c>GET /api/v1/alerts</c>.</summary>
internal sealed record AlertQuery(int Limit = 100, string? Workload = null, string? Type = null);

/// <summary>A target failed in a way retries did not fix.</summary>
internal sealed class IngestTargetException(string message) : Exception(message);

using System.Net;
using OrleansDetect.Client.Gateway;

namespace OrleansDetect.Client.Send;

/// <summary>
/// The <c>send</c> command: streams an NDJSON file (or stdin) to the gateway in batches, one batch in
/// flight, and reports each batch with the gateway's per-line errors mapped back to file line numbers.
/// </summary>
internal sealed class FlowFileSender(IIngestTarget target, TextWriter output, TextWriter error)
{
    public const int ExitAllAccepted = 0;
    public const int ExitSomeRejected = 1;
    public const int ExitTransportFailure = 2;

    /// <summary>Per batch, at most this many line errors are printed; the rest are counted.</summary>
    public int MaxErrorsShown { get; init; } = 50;

    public async Task<int> SendAsync(Stream source, string sourceName, int batchSize, CancellationToken cancellationToken)
    {
        var totals = new Totals();
        output.WriteLine($"sending {sourceName} to {target.Description} in batches of up to {batchSize} lines");
        await foreach (var batch in new NdjsonBatchReader(source, batchSize).ReadAsync(cancellationToken))
        {
            if (!await SendBatchAsync(batch, totals, cancellationToken))
            {
                error.WriteLine($"stopped: {totals.Batches} batches sent before the failure; lines from {batch.SourceLines[0]} on were not accepted");
                PrintSummary(totals);
                return ExitTransportFailure;
            }
        }

        PrintSummary(totals);
        return totals.Rejected > 0 ? ExitSomeRejected : ExitAllAccepted;
    }

    private async Task<bool> SendBatchAsync(NdjsonBatch batch, Totals totals, CancellationToken cancellationToken)
    {
        var outcome = await target.PostFlowsAsync(batch.Body, cancellationToken);
        if (outcome.Status == HttpStatusCode.RequestEntityTooLarge && batch.LineCount > 1)
        {
            // The gateway's size limit is its own configuration; halving keeps the file flowing without asking the user to guess it.
            output.WriteLine($"batch {batch.Number}: too large for the gateway at {batch.LineCount} lines, splitting");
            var (first, second) = batch.Halve();
            return await SendBatchAsync(first, totals, cancellationToken) && await SendBatchAsync(second, totals, cancellationToken);
        }

        var range = $"lines {batch.SourceLines[0]}-{batch.SourceLines[^1]}";
        if (outcome.Response is not { } response)
        {
            error.WriteLine($"batch {batch.Number} ({range}): failed: {outcome.Failure}");
            return false;
        }

        totals.Batches++;
        totals.Lines += batch.LineCount;
        totals.Accepted += response.Accepted;
        totals.Rejected += response.Rejected;
        totals.Late += response.Late;
        var retried = outcome.Attempts > 1 ? $" (after {outcome.Attempts} attempts)" : "";
        var late = response.Late > 0 ? $", late {response.Late}" : "";
        output.WriteLine($"batch {batch.Number} ({range}): accepted {response.Accepted}, rejected {response.Rejected}{late}{retried}");

        foreach (var lineError in response.Errors.Take(MaxErrorsShown))
        {
            var where = batch.SourceLine(lineError.Line) is { } line ? $"line {line}" : $"batch line {lineError.Line}";
            output.WriteLine($"  {where}: {lineError.Error}");
        }

        var unshown = Math.Max(response.Errors.Length - MaxErrorsShown, 0) + Math.Max(response.Rejected - response.Errors.Length, 0);
        if (unshown > 0) output.WriteLine($"  … and {unshown} more rejected lines");
        return true;
    }

    private void PrintSummary(Totals totals) => output.WriteLine(
        $"done: {totals.Batches} batches, {totals.Lines} lines, accepted {totals.Accepted}, rejected {totals.Rejected}" +
        (totals.Late > 0 ? $", late {totals.Late}" : ""));

    private sealed class Totals
    {
        public int Batches;
        public long Lines;
        public long Accepted;
        public long Rejected;
        public long Late;
    }
}

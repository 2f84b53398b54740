using System.Buffers;
using System.Net;
using OrleansDetect.Client.Gateway;
using OrleansDetect.Ingest;

namespace OrleansDetect.Client.Send;

/// <summary>
/// The <c>send</c> command: streams a flow file (or stdin) to the gateway in batches, one batch in
/// flight, and reports each batch with the per-line errors mapped back to file line numbers. NDJSON goes as it
/// is; Zeek conn.log and VPC Flow Log batches are read here with the gateway's own decoders, their bad lines
/// reported, and the good ones sent as NDJSON.
/// </summary>
internal sealed class FlowFileSender(IIngestTarget target, TextWriter output, TextWriter error)
{
    public const int ExitAllAccepted = 0;
    public const int ExitSomeRejected = 1;
    public const int ExitTransportFailure = 2;

    /// <summary>Per batch, at most this many line errors are printed; the rest are counted.</summary>
    public int MaxErrorsShown { get; init; } = 50;

    public async Task<int> SendAsync(Stream source, string sourceName, int batchSize, CancellationToken cancellationToken) =>
        await SendAsync(source, sourceName, batchSize, FlowFormat.Ndjson, cancellationToken);

    public async Task<int> SendAsync(Stream source, string sourceName, int batchSize, FlowFormat format, CancellationToken cancellationToken)
    {
        var totals = new Totals();
        output.WriteLine($"sending {sourceName} ({format.Name()}) to {target.Description} in batches of up to {batchSize} lines");
        await foreach (var raw in new NdjsonBatchReader(source, batchSize, format).ReadAsync(cancellationToken))
        {
            var batch = format == FlowFormat.Ndjson ? raw : Convert(raw, format, totals);
            if (batch is null) continue;
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

    /// <summary>Reads a Zeek or VPC batch into events, reports its bad lines, and writes the events as NDJSON.</summary>
    private NdjsonBatch? Convert(NdjsonBatch raw, FlowFormat format, Totals totals)
    {
        var parsed = new FlowParser(MaxErrorsShown).Parse(raw.Body.Span, format);
        totals.Rejected += parsed.Rejected;
        totals.Skipped += parsed.Skipped;
        var range = $"lines {raw.SourceLines[0]}-{raw.SourceLines[^1]}";
        if (parsed.Rejected > 0 || parsed.Skipped > 0)
        {
            output.WriteLine($"batch {raw.Number} ({range}): rejected {parsed.Rejected}, skipped {parsed.Skipped} (no data)");
        }

        foreach (var lineError in parsed.Errors)
        {
            output.WriteLine($"  line {raw.SourceLine(lineError.Line)?.ToString() ?? "?"}: {lineError.Error}");
        }

        if (parsed.Accepted == 0)
        {
            totals.Lines += raw.LineCount;
            return null;
        }

        var body = new ArrayBufferWriter<byte>(parsed.Accepted * 160);
        foreach (var flows in parsed.Batches)
        {
            foreach (var e in flows.Events)
            {
                FlowLineWriter.Write(body, new FlowLine(e.TimeMs, flows.Workload, e.Src, e.SrcPort, e.Dst, e.DstPort, e.Protocol, e.State, e.Bytes, e.Packets));
            }
        }

        // Events are grouped by workload now, so a gateway error can only be placed within the batch's line range.
        var lines = Enumerable.Repeat(raw.SourceLines[^1], parsed.Accepted).ToArray();
        totals.Lines += raw.LineCount - parsed.Accepted;
        return new NdjsonBatch(raw.Number, body.WrittenMemory, lines);
    }

    private void PrintSummary(Totals totals) => output.WriteLine(
        $"done: {totals.Batches} batches, {totals.Lines} lines, accepted {totals.Accepted}, rejected {totals.Rejected}" +
        (totals.Late > 0 ? $", late {totals.Late}" : "") + (totals.Skipped > 0 ? $", skipped {totals.Skipped}" : ""));

    private sealed class Totals
    {
        public int Batches;
        public long Lines;
        public long Accepted;
        public long Rejected;
        public long Late;
        public long Skipped;
    }
}

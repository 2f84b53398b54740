using System.Buffers;
using System.Globalization;
using System.Net;
using OrleansDetect.Client.Gateway;
using OrleansDetect.Ingest;

namespace OrleansDetect.Client.Send;

/// <summary>How <c>send</c> reads and paces a source.</summary>
/// <param name="BatchSize">Lines per batch read from the source (and per request, unless paced).</param>
internal sealed record SendSettings(int BatchSize, FlowFormat Format)
{
    /// <summary>Replay at this multiple of the events' own time (<c>--speed</c>); null sends as fast as possible (<c>--max</c>).</summary>
    public double? Speed { get; init; }

    /// <summary>Names for workloads known only by their source address (<c>--workload</c>, <c>--workloads</c>).</summary>
    public WorkloadNames? Workloads { get; init; }

    /// <summary>NDJSON goes to the gateway as it is unless it must be paced by its event times or its workloads renamed.</summary>
    public bool ReadsLocally => Format != FlowFormat.Ndjson || Speed is not null || Workloads is { Count: > 0 };
}

/// <summary>
/// The <c>send</c> command: streams a flow file (or stdin) to the gateway in batches, one batch in
/// flight, and reports each batch with the per-line errors mapped back to file line numbers. NDJSON goes as it
/// is; Zeek conn.log and VPC Flow Log batches (and NDJSON that is paced or renamed) are read here with the gateway's
/// own decoders, their bad lines reported, and the good ones sent as NDJSON. Ends with a summary: lines, accepted,
/// rejected by reason, late, skipped, throughput.
/// </summary>
internal sealed class FlowFileSender(IIngestTarget target, SendReport report, TextWriter error, TimeProvider? time = null)
{
    public const int ExitAllAccepted = 0;
    public const int ExitSomeRejected = 1;
    public const int ExitTransportFailure = 2;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Per batch, at most this many line errors are printed; the rest are counted.</summary>
    public int MaxErrorsShown { get; init; } = 50;

    public async Task<int> SendAsync(FlowInput input, string sourceName, SendSettings settings, CancellationToken cancellationToken)
    {
        var totals = new SendTotals();
        var started = _time.GetTimestamp();
        var pace = settings.Speed is { } speed ? new ReplayPace(speed) : null;
        SendProgress Progress() => new(totals.Lines, totals.Accepted, _time.GetElapsedTime(started), input.Position, input.Length);

        var paced = pace is null ? "" : string.Create(CultureInfo.InvariantCulture, $", replaying at {settings.Speed}x event time");
        report.Line($"sending {sourceName} ({settings.Format.Name()}) to {target.Description} in batches of up to {settings.BatchSize} lines{paced}");
        return await report.RunAsync(async () =>
        {
            try
            {
                await foreach (var raw in new NdjsonBatchReader(input.Stream, settings.BatchSize, settings.Format).ReadAsync(cancellationToken))
                {
                    totals.Lines += raw.LineCount;
                    var sent = settings.ReadsLocally
                        ? await SendReadAsync(raw, settings, pace, started, totals, cancellationToken)
                        : await SendBatchAsync(raw, totals, showEvery: true, cancellationToken);
                    report.Progress(Progress());
                    if (!sent)
                    {
                        report.Finish(Progress(), complete: false);
                        error.WriteLine($"stopped: {totals.Batches} batches sent before the failure; lines from {raw.SourceLines[0]} on were not accepted");
                        report.Line(totals.Summary(_time.GetElapsedTime(started)));
                        return ExitTransportFailure;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C: say how far the send got before the command reports the interruption.
                report.Finish(Progress(), complete: false);
                report.Line(totals.Summary(_time.GetElapsedTime(started)));
                throw;
            }

            report.Finish(Progress(), complete: true);
            report.Line(totals.Summary(_time.GetElapsedTime(started)));
            return totals.Rejected > 0 ? ExitSomeRejected : ExitAllAccepted;
        });
    }

    private async Task<bool> SendBatchAsync(NdjsonBatch batch, SendTotals totals, bool showEvery, CancellationToken cancellationToken)
    {
        var outcome = await target.PostFlowsAsync(batch.Body, cancellationToken);
        if (outcome.Status == HttpStatusCode.RequestEntityTooLarge && batch.LineCount > 1 && batch.HeaderLines == 0)
        {
            // The gateway's size limit is its own configuration; halving keeps the file flowing without asking the user to guess it.
            report.Line($"batch {batch.Number}: too large for the gateway at {batch.LineCount} lines, splitting");
            var (first, second) = batch.Halve();
            return await SendBatchAsync(first, totals, showEvery, cancellationToken) && await SendBatchAsync(second, totals, showEvery, cancellationToken);
        }

        var range = $"lines {batch.SourceLines[0]}-{batch.SourceLines[^1]}";
        if (outcome.Response is not { } response)
        {
            error.WriteLine($"batch {batch.Number} ({range}): failed: {outcome.Failure}");
            return false;
        }

        totals.Batches++;
        totals.Accepted += response.Accepted;
        totals.AddRejected(response.Rejected, response.RejectedBy);
        totals.Late += response.Late;
        var retried = outcome.Attempts > 1 ? $" (after {outcome.Attempts} attempts)" : "";
        var late = response.Late > 0 ? $", late {response.Late}" : "";
        var notable = response.Rejected > 0 || response.Late > 0 || outcome.Attempts > 1;
        if (showEvery || notable)
        {
            report.Batch($"batch {batch.Number} ({range}): accepted {response.Accepted}, rejected {response.Rejected}{late}{retried}", notable);
        }

        foreach (var lineError in response.Errors.Take(MaxErrorsShown))
        {
            var where = batch.SourceLine(lineError.Line) is { } line ? $"line {line}" : $"batch line {lineError.Line}";
            report.Line($"  {where}: {lineError.Error}");
        }

        var unshown = Math.Max(response.Errors.Length - MaxErrorsShown, 0) + Math.Max(response.Rejected - response.Errors.Length, 0);
        if (unshown > 0) report.Line($"  … and {unshown} more rejected lines");
        return true;
    }

    /// <summary>Reads a batch here, reports its bad lines, and sends its events: at once, or slice by slice when they are due.</summary>
    private async Task<bool> SendReadAsync(NdjsonBatch raw, SendSettings settings, ReplayPace? pace, long started, SendTotals totals, CancellationToken cancellationToken)
    {
        var events = Read(raw, settings, totals);
        if (events.Count == 0) return true;
        if (pace is null) return await SendBatchAsync(Encode(raw, events, 0, events.Count), totals, showEvery: true, cancellationToken);

        // A replay sends events in event-time order (a stable sort keeps a file's order among equal times).
        var ordered = events.OrderBy(e => e.TimeMs).ToArray();
        var times = ordered.Select(e => e.TimeMs).ToArray();
        foreach (var slice in pace.Slices(times))
        {
            var wait = slice.Due - _time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, cancellationToken);
            if (!await SendBatchAsync(Encode(raw, ordered, slice.Start, slice.Count), totals, showEvery: false, cancellationToken)) return false;
        }

        return true;
    }

    /// <summary>The batch's events with their workloads (named by <see cref="SendSettings.Workloads"/> where they are only an address).</summary>
    private List<FlowLine> Read(NdjsonBatch raw, SendSettings settings, SendTotals totals)
    {
        var parsed = new FlowParser(MaxErrorsShown).Parse(raw.Body.Span, settings.Format);
        totals.AddRejected(parsed.Rejected, parsed.RejectionReasons);
        totals.Skipped += parsed.Skipped;
        if (parsed.Rejected > 0 || parsed.Skipped > 0)
        {
            report.Batch($"batch {raw.Number} (lines {raw.SourceLines[0]}-{raw.SourceLines[^1]}): rejected {parsed.Rejected}, skipped {parsed.Skipped} (no data)", notable: parsed.Rejected > 0);
        }

        foreach (var lineError in parsed.Errors)
        {
            report.Line($"  line {raw.SourceLine(lineError.Line)?.ToString(CultureInfo.InvariantCulture) ?? "?"}: {lineError.Error}");
        }

        var names = settings.Workloads is { Count: > 0 } workloads ? workloads : null;
        var events = new List<FlowLine>(parsed.Accepted);
        foreach (var flows in parsed.Batches)
        {
            // A workload that is its events' own source address was never named: the map may name it.
            NetAddress? unnamed = names is not null && NetAddress.TryParse(flows.Workload, out var address) ? address : null;
            foreach (var e in flows.Events)
            {
                var workload = unnamed == e.Src ? names!.NameOf(e.Src) ?? flows.Workload : flows.Workload;
                events.Add(new FlowLine(e.TimeMs, workload, e.Src, e.SrcPort, e.Dst, e.DstPort, e.Protocol, e.State, e.Bytes, e.Packets));
            }
        }

        return events;
    }

    private static NdjsonBatch Encode(NdjsonBatch raw, IReadOnlyList<FlowLine> events, int start, int count)
    {
        var body = new ArrayBufferWriter<byte>(count * 160);
        for (var i = start; i < start + count; i++) FlowLineWriter.Write(body, events[i]);

        // Events are regrouped here, so a gateway error can only be placed within the batch's line range.
        return new NdjsonBatch(raw.Number, body.WrittenMemory, [.. Enumerable.Repeat(raw.SourceLines[^1], count)]);
    }
}

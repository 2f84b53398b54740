using System.Buffers;
using System.Text.Json;

namespace OrleansDetect.Ingest;

/// <summary>
/// Parses an ingest request body of flow events (NDJSON, or a JSON array) into per-workload batches, keeping the
/// valid lines and describing each invalid one. Stateless between calls, so one instance can serve every request.
/// </summary>
public sealed class FlowParser
{
    // The shortest valid event ({"ts":1,"src":"1.1.1.1","dst":"1.1.1.1","proto":"icmp"}) is 55 bytes, so a body
    // cannot hold more events than this allows for, however many newlines it has.
    private const int MinEventBytes = 48;

    private static readonly SearchValues<byte> LineWhitespace = SearchValues.Create(" \t\r"u8);

    private readonly int _maxErrorsReported;

    public FlowParser(int maxErrorsReported = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxErrorsReported);
        _maxErrorsReported = maxErrorsReported;
    }

    /// <summary>
    /// Parses a body whose format is not declared: a JSON array when its first non-whitespace byte is '[', NDJSON
    /// otherwise. A leading UTF-8 byte order mark and CRLF line endings are accepted; blank NDJSON lines are skipped.
    /// (HTTP ingest declares the format by content type instead, so an NDJSON body cannot be read as an array.)
    /// </summary>
    public ParsedFlows Parse(ReadOnlySpan<byte> body)
    {
        var start = body.IndexOfAnyExcept(" \t\r\n\uFEFF"u8);
        return Parse(body, start >= 0 && body[start] == '[' ? FlowFormat.JsonArray : FlowFormat.Ndjson);
    }

    /// <summary>
    /// Parses a body in the given format: NDJSON (Zeek's JSON conn.log lines included) or a JSON array, Zeek's TSV
    /// conn.log, or AWS VPC Flow Log lines. Each line is judged on its own.
    /// </summary>
    public ParsedFlows Parse(ReadOnlySpan<byte> body, FlowFormat format)
    {
        if (body.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }

        var start = body.IndexOfAnyExcept(" \t\r\n"u8);
        if (start < 0)
        {
            return ParsedFlows.Empty;
        }

        var capacity = Math.Min(body.Count((byte)'\n') + 1, (body.Length / MinEventBytes) + 1);
        var outcome = new Outcome(_maxErrorsReported, capacity);
        if (format is FlowFormat.Zeek or FlowFormat.Vpc)
        {
            Span<char> workloadBuffer = stackalloc char[FlowRecordReader.MaxHostLength];
            if (format == FlowFormat.Zeek)
            {
                ZeekConnLog.Parse(body, outcome, workloadBuffer);
            }
            else
            {
                VpcFlowLog.Parse(body, outcome, workloadBuffer);
            }

            return outcome.Build();
        }

        Span<char> hostBuffer = stackalloc char[FlowRecordReader.HostBufferLength];
        Span<byte> scratch = stackalloc byte[FlowRecordReader.ScratchLength];

        if (format == FlowFormat.JsonArray)
        {
            ParseArray(body, outcome, hostBuffer, scratch);
        }
        else
        {
            ParseLines(body, outcome, hostBuffer, scratch);
        }

        return outcome.Build();
    }

    private static void ParseLines(ReadOnlySpan<byte> body, Outcome outcome, scoped Span<char> hostBuffer, scoped Span<byte> scratch)
    {
        var lineNumber = 0;
        while (!body.IsEmpty)
        {
            lineNumber++;
            var end = body.IndexOf((byte)'\n');
            var line = end < 0 ? body : body[..end];
            body = end < 0 ? default : body[(end + 1)..];

            if (line.IsEmpty || (line[0] != '{' && line.IndexOfAnyExcept(LineWhitespace) < 0))
            {
                continue;
            }

            var reader = new Utf8JsonReader(line, isFinalBlock: true, state: default);
            var record = FlowRecord.Empty;
            try
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    var shown = FlowRecordReader.Show(ref reader);
                    reader.Skip();
                    ReadToEnd(ref reader);
                    outcome.Reject(lineNumber, $"expected a JSON object, got {shown}", Outcome.JsonReason);
                    continue;
                }

                FlowRecordReader.Read(ref reader, ref record, hostBuffer, scratch);
                ReadToEnd(ref reader);
            }
            catch (JsonException e)
            {
                outcome.Reject(lineNumber, $"not valid JSON: {Describe(e, wholeBody: false)}", Outcome.JsonReason);
                continue;
            }

            outcome.Complete(lineNumber, ref record, hostBuffer);
        }
    }

    /// <summary>
    /// Reads a JSON array element by element. Where the JSON breaks (say, a truncated upload), the elements before
    /// the break are kept and the break is reported against the element it happened in; nothing after it can be read.
    /// </summary>
    private static void ParseArray(ReadOnlySpan<byte> body, Outcome outcome, scoped Span<char> hostBuffer, scoped Span<byte> scratch)
    {
        var reader = new Utf8JsonReader(body, isFinalBlock: true, state: default);
        var element = 1;
        var afterArray = false;
        try
        {
            reader.Read();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    var shown = FlowRecordReader.Show(ref reader);
                    reader.Skip();
                    outcome.Reject(element++, $"expected a JSON object, got {shown}", Outcome.JsonReason);
                    continue;
                }

                var record = FlowRecord.Empty;
                FlowRecordReader.Read(ref reader, ref record, hostBuffer, scratch);
                outcome.Complete(element++, ref record, hostBuffer);
            }

            afterArray = true;
            ReadToEnd(ref reader);
            if (element == 1)
            {
                outcome.MarkEmpty();
            }
        }
        catch (JsonException e)
        {
            var where = afterArray ? "after the array's end" : "in this element";
            outcome.Reject(element, $"not valid JSON {where}: {Describe(e, wholeBody: true)}", Outcome.JsonReason);
        }
    }

    /// <summary>Reads past the end of the value; with the reader's defaults, anything but whitespace after it throws.</summary>
    private static void ReadToEnd(ref Utf8JsonReader reader)
    {
        while (reader.Read())
        {
        }
    }

    /// <summary>The reader's message without its zero-based position suffix, with a one-based position instead.</summary>
    private static string Describe(JsonException e, bool wholeBody)
    {
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0)
        {
            message = message[..cut];
        }

        message = message.TrimEnd('.', ' ');
        var column = (e.BytePositionInLine ?? 0) + 1;
        return wholeBody
            ? $"{message} (body line {(e.LineNumber ?? 0) + 1}, byte {column})"
            : $"{message} (byte {column})";
    }

    /// <summary>One Parse call's accumulating result.</summary>
    internal sealed class Outcome(int maxErrorsReported, int capacity)
    {
        /// <summary>The reason slot after the fields': the line was not a JSON object.</summary>
        public const int JsonReason = (int)FlowField.Count;

        public const int FormatReason = JsonReason + 1;

        private readonly WorkloadBatches _batches = new(capacity);
        private readonly List<LineError> _errors = [];
        private int[]? _rejectedByReason;
        private bool _isEmpty;

        public int Rejected { get; private set; }

        /// <summary>Lines that hold no flow by their own account (VPC's NODATA and SKIPDATA).</summary>
        public int Skipped { get; private set; }

        public void Skip() => Skipped++;

        /// <summary>A line the format itself rejects (a Zeek line before its #fields header, the wrong number of fields), counted under <c>format</c>.</summary>
        public void RejectLine(int line, string error) => Reject(line, error, FormatReason);

        public void MarkEmpty() => _isEmpty = true;

        public void Reject(int line, string error, int reason)
        {
            Rejected++;
            (_rejectedByReason ??= new int[FormatReason + 1])[reason]++;
            if (_errors.Count < maxErrorsReported)
            {
                _errors.Add(new LineError(line, error));
            }
        }

        /// <summary>Checks a fully read record and either accepts it as an event or rejects the line with every problem found.</summary>
        public void Complete(int line, ref FlowRecord record, scoped ReadOnlySpan<char> hostBuffer)
        {
            var dportRequired = record.Protocol is FlowProtocol.Tcp or FlowProtocol.Udp;
            if (record.ErrorMask != 0 || !record.HasTime || !record.HasSrc || !record.HasDst || record.Protocol == 0
                || (dportRequired && record.DstPort < 0))
            {
                Reject(line, DescribeProblems(ref record, dportRequired, out var first), (int)first);
                return;
            }

            var state = record.State != 0
                ? record.State
                : FlowStates.Infer(record.Protocol, record.Flags, Math.Max(record.Bytes, 0), Math.Max(record.Packets, 0));
            var workload = record.HostLength >= 0
                ? _batches.WorkloadNamed(hostBuffer[..record.HostLength])
                : _batches.WorkloadOfSource(record.Src);
            _batches.Add(workload, new FlowEvent(
                record.TimeMs,
                record.Src,
                (ushort)Math.Max(record.SrcPort, 0),
                record.Dst,
                (ushort)Math.Max(record.DstPort, 0),
                record.Protocol,
                state,
                Math.Max(record.Bytes, 0),
                Math.Max(record.Packets, 0)), line);
        }

        public ParsedFlows Build()
        {
            var accepted = _batches.Count;
            var batches = _batches.Build();
            return new ParsedFlows(batches, accepted, Rejected, _errors, _isEmpty, RejectionReasons()) { Skipped = Skipped, EventLines = _batches.Lines };
        }

        private KeyValuePair<string, int>[] RejectionReasons()
        {
            if (_rejectedByReason is null) return [];
            var reasons = new List<KeyValuePair<string, int>>();
            for (var reason = 0; reason <= FormatReason; reason++)
            {
                if (_rejectedByReason[reason] > 0)
                {
                    var name = reason switch { JsonReason => "json", FormatReason => "format", _ => WireName((FlowField)reason) };
                    reasons.Add(new(name, _rejectedByReason[reason]));
                }
            }

            return reasons.ToArray();
        }

        private static string DescribeProblems(ref FlowRecord record, bool dportRequired, out FlowField first)
        {
            first = FlowField.Count;
            var problems = new List<string>();
            for (var field = FlowField.Ts; field < FlowField.Count; field++)
            {
                if ((record.ErrorMask & (1 << (int)field)) != 0)
                {
                    if (first == FlowField.Count) first = field;
                    problems.Add(record.Errors[(int)field]!);
                    continue;
                }

                var missing = field switch
                {
                    FlowField.Ts => !record.HasTime,
                    FlowField.Src => !record.HasSrc,
                    FlowField.Dst => !record.HasDst,
                    FlowField.Proto => record.Protocol == 0,
                    FlowField.Dport => dportRequired && record.DstPort < 0,
                    _ => false,
                };
                if (missing)
                {
                    if (first == FlowField.Count) first = field;
                    problems.Add(field == FlowField.Dport
                        ? "missing required field 'dport' (required for tcp and udp)"
                        : $"missing required field '{Name(field)}'");
                }
            }

            return string.Join("; ", problems);
        }

        private static string Name(FlowField field) => field switch
        {
            FlowField.Ts => "ts",
            FlowField.Src => "src",
            FlowField.Dst => "dst",
            _ => "proto",
        };

        private static string WireName(FlowField field) => field switch
        {
            FlowField.Ts => "ts",
            FlowField.Host => "host",
            FlowField.Src => "src",
            FlowField.Sport => "sport",
            FlowField.Dst => "dst",
            FlowField.Dport => "dport",
            FlowField.Proto => "proto",
            FlowField.State => "state",
            FlowField.Flags => "flags",
            FlowField.Bytes => "bytes",
            _ => "packets",
        };
    }
}

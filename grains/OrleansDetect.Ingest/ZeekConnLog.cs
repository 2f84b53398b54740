namespace OrleansDetect.Ingest;

/// <summary>
/// Zeek's conn.log as TSV: <c>#separator</c>, <c>#unset_field</c> and <c>#fields</c> header lines, then one
/// connection per line. The originator is the event's source and its workload; <c>conn_state</c> maps as for NDJSON;
/// packets and bytes add up both directions. A second header block (concatenated logs) replaces the first.
/// </summary>
internal static class ZeekConnLog
{
    private enum Column : byte
    {
        Skip,
        Ts,
        OrigHost,
        OrigPort,
        RespHost,
        RespPort,
        Proto,
        ConnState,
        OrigPackets,
        RespPackets,
        OrigBytes,
        RespBytes,
    }

    public static void Parse(ReadOnlySpan<byte> body, FlowParser.Outcome outcome, Span<char> hostBuffer)
    {
        byte separator = (byte)'\t';
        ReadOnlySpan<byte> unset = "-"u8;
        Column[] columns = [];
        var lineNumber = 0;
        while (!body.IsEmpty)
        {
            lineNumber++;
            var end = body.IndexOf((byte)'\n');
            var line = end < 0 ? body : body[..end];
            body = end < 0 ? default : body[(end + 1)..];
            if (line.EndsWith((byte)'\r')) line = line[..^1];
            if (line.IsEmpty) continue;

            if (line[0] == '#')
            {
                if (line.StartsWith("#separator"u8))
                {
                    separator = ParseSeparator(line["#separator"u8.Length..].Trim(" \t"u8));
                }
                else if (line.StartsWith("#unset_field"u8) && line.Length > 13)
                {
                    unset = line[13..].ToArray();
                }
                else if (line.StartsWith("#fields"u8) && line.Length > 8)
                {
                    columns = ParseFields(line[8..], separator);
                }

                continue;
            }

            if (columns.Length == 0)
            {
                outcome.RejectLine(lineNumber, "no '#fields' header before this line: send Zeek's TSV with its header lines");
                continue;
            }

            var record = FlowRecord.Empty;
            var i = 0;
            foreach (var range in line.Split(separator))
            {
                if (i >= columns.Length) { i++; continue; }
                var value = line[range];
                var column = columns[i++];
                if (column == Column.Skip || value.SequenceEqual(unset)) continue;
                Read(ref record, column, value);
            }

            if (i != columns.Length)
            {
                outcome.RejectLine(lineNumber, $"has {i} fields where the '#fields' header names {columns.Length}");
                continue;
            }

            outcome.Complete(lineNumber, ref record, hostBuffer);
        }
    }

    private static void Read(ref FlowRecord record, Column column, ReadOnlySpan<byte> value)
    {
        switch (column)
        {
            case Column.Ts: TextFields.Time(ref record, value, "ts"); break;
            case Column.OrigHost: TextFields.Address(ref record, FlowField.Src, value, "id.orig_h"); break;
            case Column.OrigPort: TextFields.Port(ref record, FlowField.Sport, value, "id.orig_p"); break;
            case Column.RespHost: TextFields.Address(ref record, FlowField.Dst, value, "id.resp_h"); break;
            case Column.RespPort: TextFields.Port(ref record, FlowField.Dport, value, "id.resp_p"); break;
            case Column.Proto: TextFields.Protocol(ref record, value, "proto"); break;
            case Column.ConnState: TextFields.State(ref record, value, "conn_state"); break;
            case Column.OrigPackets: TextFields.Counter(ref record, FlowField.Packets, value, "orig_pkts", add: true); break;
            case Column.RespPackets: TextFields.Counter(ref record, FlowField.Packets, value, "resp_pkts", add: true); break;
            case Column.OrigBytes: TextFields.Counter(ref record, FlowField.Bytes, value, "orig_ip_bytes", add: true); break;
            case Column.RespBytes: TextFields.Counter(ref record, FlowField.Bytes, value, "resp_ip_bytes", add: true); break;
        }
    }

    /// <summary>Zeek writes the separator escaped (<c>\x09</c>); a literal single character is taken as it is.</summary>
    private static byte ParseSeparator(ReadOnlySpan<byte> text)
    {
        if (text.Length == 4 && text[0] == '\\' && (text[1] | 0x20) == 'x'
            && System.Buffers.Text.Utf8Parser.TryParse(text[2..], out byte value, out var consumed, 'x') && consumed == 2)
        {
            return value;
        }

        return text.Length == 1 ? text[0] : (byte)'\t';
    }

    private static Column[] ParseFields(ReadOnlySpan<byte> names, byte separator)
    {
        var columns = new List<Column>();
        foreach (var range in names.Split(separator))
        {
            var name = names[range];
            columns.Add(name switch
            {
                _ when name.SequenceEqual("ts"u8) => Column.Ts,
                _ when name.SequenceEqual("id.orig_h"u8) => Column.OrigHost,
                _ when name.SequenceEqual("id.orig_p"u8) => Column.OrigPort,
                _ when name.SequenceEqual("id.resp_h"u8) => Column.RespHost,
                _ when name.SequenceEqual("id.resp_p"u8) => Column.RespPort,
                _ when name.SequenceEqual("proto"u8) => Column.Proto,
                _ when name.SequenceEqual("conn_state"u8) => Column.ConnState,
                _ when name.SequenceEqual("orig_pkts"u8) => Column.OrigPackets,
                _ when name.SequenceEqual("resp_pkts"u8) => Column.RespPackets,
                _ when name.SequenceEqual("orig_ip_bytes"u8) => Column.OrigBytes,
                _ when name.SequenceEqual("resp_ip_bytes"u8) => Column.RespBytes,
                _ => Column.Skip,
            });
        }

        return [.. columns];
    }
}

namespace OrleansDetect.Ingest;

/// <summary>
/// AWS VPC Flow Log records: space-separated, either the default v2 fields without a header (as CloudWatch delivers
/// them) or any v2–v5 field list named by a header line (as S3 delivers them). The workload is the record's
/// <c>instance-id</c>, else its <c>interface-id</c>; behind a NAT gateway <c>pkt-srcaddr</c>/<c>pkt-dstaddr</c> name
/// the real endpoints and win over <c>srcaddr</c>/<c>dstaddr</c>. <c>action</c> REJECT is a rejected attempt; else
/// <c>tcp-flags</c> (SYN 2, RST 4, SYN-ACK 18, OR-ed over the interval) or the counters decide. NODATA and SKIPDATA
/// records hold no flow and are skipped and counted.
/// </summary>
internal static class VpcFlowLog
{
    private enum Column : byte
    {
        Skip,
        InterfaceId,
        SrcAddr,
        DstAddr,
        SrcPort,
        DstPort,
        Protocol,
        Packets,
        Bytes,
        Start,
        Action,
        LogStatus,
        InstanceId,
        TcpFlags,
        PktSrcAddr,
        PktDstAddr,
    }

    /// <summary>The default format: <c>version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status</c>.</summary>
    private static readonly Column[] DefaultColumns =
    [
        Column.Skip, Column.Skip, Column.InterfaceId, Column.SrcAddr, Column.DstAddr, Column.SrcPort, Column.DstPort,
        Column.Protocol, Column.Packets, Column.Bytes, Column.Start, Column.Skip, Column.Action, Column.LogStatus,
    ];

    private const int MaxColumns = 64;

    public static void Parse(ReadOnlySpan<byte> body, FlowParser.Outcome outcome, Span<char> hostBuffer)
    {
        var columns = DefaultColumns;
        var lineNumber = 0;
        Span<Range> fields = stackalloc Range[MaxColumns + 1];
        while (!body.IsEmpty)
        {
            lineNumber++;
            var end = body.IndexOf((byte)'\n');
            var line = end < 0 ? body : body[..end];
            body = end < 0 ? default : body[(end + 1)..];
            line = line.Trim(" \t\r"u8);
            if (line.IsEmpty) continue;

            if (line.IndexOf("srcaddr"u8) >= 0 && (uint)(line[0] - '0') > 9)
            {
                columns = ParseHeader(line);
                continue;
            }

            var count = Split(line, fields);
            if (count != columns.Length)
            {
                outcome.RejectLine(lineNumber, $"has {count} fields where the {(columns == DefaultColumns ? "default v2 format" : "header line")} names {columns.Length}");
                continue;
            }

            var record = FlowRecord.Empty;
            ReadOnlySpan<byte> interfaceId = default, instanceId = default, src = default, dst = default, pktSrc = default, pktDst = default;
            var reject = false;
            var skip = false;
            for (var i = 0; i < count; i++)
            {
                var value = line[fields[i]];
                if (value.SequenceEqual("-"u8)) continue;
                switch (columns[i])
                {
                    case Column.InterfaceId: interfaceId = value; break;
                    case Column.InstanceId: instanceId = value; break;
                    case Column.SrcAddr: src = value; break;
                    case Column.DstAddr: dst = value; break;
                    case Column.PktSrcAddr: pktSrc = value; break;
                    case Column.PktDstAddr: pktDst = value; break;
                    case Column.SrcPort: TextFields.Port(ref record, FlowField.Sport, value, "srcport"); break;
                    case Column.DstPort: TextFields.Port(ref record, FlowField.Dport, value, "dstport"); break;
                    case Column.Protocol: TextFields.Protocol(ref record, value, "protocol"); break;
                    case Column.Packets: TextFields.Counter(ref record, FlowField.Packets, value, "packets", add: false); break;
                    case Column.Bytes: TextFields.Counter(ref record, FlowField.Bytes, value, "bytes", add: false); break;
                    case Column.Start: TextFields.Time(ref record, value, "start"); break;
                    case Column.Action: reject = value.SequenceEqual("REJECT"u8); break;
                    case Column.LogStatus: skip = value.SequenceEqual("NODATA"u8) || value.SequenceEqual("SKIPDATA"u8); break;
                    case Column.TcpFlags:
                        if (TextFields.TryDigits(value, out var flags) && flags <= 0x1FF) record.Flags = (int)flags;
                        else record.Fail(FlowField.Flags, $"field 'tcp-flags': {TextFields.Show(value)} is not a TCP flags number");
                        break;
                }
            }

            if (skip)
            {
                outcome.Skip();
                continue;
            }

            if (!pktSrc.IsEmpty) TextFields.Address(ref record, FlowField.Src, pktSrc, "pkt-srcaddr");
            else if (!src.IsEmpty) TextFields.Address(ref record, FlowField.Src, src, "srcaddr");
            if (!pktDst.IsEmpty) TextFields.Address(ref record, FlowField.Dst, pktDst, "pkt-dstaddr");
            else if (!dst.IsEmpty) TextFields.Address(ref record, FlowField.Dst, dst, "dstaddr");
            if (reject) record.State = FlowState.Rejected;
            var workload = !instanceId.IsEmpty ? instanceId : interfaceId;
            if (!workload.IsEmpty && !TextFields.Workload(ref record, workload, hostBuffer))
            {
                record.Fail(FlowField.Host, $"field '{(instanceId.IsEmpty ? "interface-id" : "instance-id")}': {TextFields.Show(workload)} is not a short ASCII id");
            }

            outcome.Complete(lineNumber, ref record, hostBuffer);
        }
    }

    /// <summary>Fields separated by runs of spaces; returns how many (at most one past <see cref="MaxColumns"/>, which no header matches).</summary>
    private static int Split(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        var count = 0;
        var i = 0;
        while (i < line.Length && count < fields.Length)
        {
            while (i < line.Length && line[i] == ' ') i++;
            if (i == line.Length) break;
            var start = i;
            while (i < line.Length && line[i] != ' ') i++;
            fields[count++] = start..i;
        }

        return count;
    }

    private static Column[] ParseHeader(ReadOnlySpan<byte> line)
    {
        Span<Range> fields = stackalloc Range[MaxColumns + 1];
        var count = Split(line, fields);
        var columns = new Column[Math.Min(count, MaxColumns)];
        for (var i = 0; i < columns.Length; i++)
        {
            var name = line[fields[i]];

            // Custom formats written with the "${field}" syntax name their fields that way.
            if (name.StartsWith("${"u8) && name.EndsWith("}"u8)) name = name[2..^1];
            columns[i] = name switch
            {
                _ when name.SequenceEqual("interface-id"u8) => Column.InterfaceId,
                _ when name.SequenceEqual("srcaddr"u8) => Column.SrcAddr,
                _ when name.SequenceEqual("dstaddr"u8) => Column.DstAddr,
                _ when name.SequenceEqual("srcport"u8) => Column.SrcPort,
                _ when name.SequenceEqual("dstport"u8) => Column.DstPort,
                _ when name.SequenceEqual("protocol"u8) => Column.Protocol,
                _ when name.SequenceEqual("packets"u8) => Column.Packets,
                _ when name.SequenceEqual("bytes"u8) => Column.Bytes,
                _ when name.SequenceEqual("start"u8) => Column.Start,
                _ when name.SequenceEqual("action"u8) => Column.Action,
                _ when name.SequenceEqual("log-status"u8) => Column.LogStatus,
                _ when name.SequenceEqual("instance-id"u8) => Column.InstanceId,
                _ when name.SequenceEqual("tcp-flags"u8) => Column.TcpFlags,
                _ when name.SequenceEqual("pkt-srcaddr"u8) => Column.PktSrcAddr,
                _ when name.SequenceEqual("pkt-dstaddr"u8) => Column.PktDstAddr,
                _ => Column.Skip,
            };
        }

        return columns;
    }
}

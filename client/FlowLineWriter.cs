using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace OrleansDetect.Client;

/// <summary>
/// Writes flow events as NDJSON lines in the documented field order. Pieces that repeat (field names,
/// protocol and state words) are UTF-8 literals, so a line costs a few copies and integer formats.
/// </summary>
internal static class FlowLineWriter
{
    /// <summary>Upper bound of a line's length without its host name: literals, two 45-character IPv6 addresses, two 20-digit counters.</summary>
    public const int MaxFixedLength = 288;

    /// <summary>Length of an RFC 3339 UTC timestamp with milliseconds: 2026-11-28T04:47:57.123Z.</summary>
    public const int TimestampLength = 24;

    public static void Write(IBufferWriter<byte> output, in FlowLine flow)
    {
        var host = JsonEncodedText.Encode(flow.Host).EncodedUtf8Bytes;
        var span = output.GetSpan(MaxFixedLength + host.Length);
        var n = 0;
        Append(span, ref n, "{\"ts\":\""u8);
        n += FormatTimestamp(flow.TimeMs, span[n..]);
        Append(span, ref n, "\",\"host\":\""u8);
        Append(span, ref n, host);
        Append(span, ref n, "\",\"src\":\""u8);
        n += FormatAddress(flow.Src, span[n..]);
        Append(span, ref n, "\",\"sport\":"u8);
        n += FormatNumber(flow.SrcPort, span[n..]);
        Append(span, ref n, ",\"dst\":\""u8);
        n += FormatAddress(flow.Dst, span[n..]);
        Append(span, ref n, "\",\"dport\":"u8);
        n += FormatNumber(flow.DstPort, span[n..]);
        Append(span, ref n, ",\"proto\":\""u8);
        Append(span, ref n, ProtocolWord(flow.Protocol));
        Append(span, ref n, "\",\"state\":\""u8);
        Append(span, ref n, StateWord(flow.State));
        Append(span, ref n, "\",\"bytes\":"u8);
        n += FormatNumber(flow.Bytes, span[n..]);
        Append(span, ref n, ",\"packets\":"u8);
        n += FormatNumber(flow.Packets, span[n..]);
        Append(span, ref n, "}\n"u8);
        output.Advance(n);
    }

    public static ReadOnlySpan<byte> ProtocolWord(FlowProtocol protocol) => protocol switch
    {
        FlowProtocol.Tcp => "tcp"u8,
        FlowProtocol.Udp => "udp"u8,
        FlowProtocol.Icmp => "icmp"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "no wire name"),
    };

    public static ReadOnlySpan<byte> StateWord(FlowState state) => state switch
    {
        FlowState.Attempted => "attempted"u8,
        FlowState.Rejected => "rejected"u8,
        FlowState.Established => "established"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "no wire name"),
    };

    /// <summary>Writes <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> (always <see cref="TimestampLength"/> bytes) by hand: it is on the load generator's hot path.</summary>
    public static int FormatTimestamp(long unixMs, Span<byte> destination)
    {
        var time = DateTime.UnixEpoch.AddMilliseconds(unixMs);
        var d = destination[..TimestampLength];
        Digits4(d, 0, time.Year);
        d[4] = (byte)'-';
        Digits2(d, 5, time.Month);
        d[7] = (byte)'-';
        Digits2(d, 8, time.Day);
        d[10] = (byte)'T';
        Digits2(d, 11, time.Hour);
        d[13] = (byte)':';
        Digits2(d, 14, time.Minute);
        d[16] = (byte)':';
        Digits2(d, 17, time.Second);
        d[19] = (byte)'.';
        var ms = time.Millisecond;
        d[20] = (byte)('0' + ms / 100);
        Digits2(d, 21, ms % 100);
        d[23] = (byte)'Z';
        return TimestampLength;
    }

    public static int FormatAddress(NetAddress address, Span<byte> destination)
    {
        if (address.IsV4)
        {
            // Dotted quad by hand: IPAddress would allocate per call.
            var v4 = address.V4;
            var n = 0;
            for (var shift = 24; shift >= 0; shift -= 8)
            {
                n += FormatNumber((v4 >> shift) & 0xFF, destination[n..]);
                if (shift > 0) destination[n++] = (byte)'.';
            }

            return n;
        }

        return address.ToIPAddress().TryFormat(destination, out var written)
            ? written
            : throw new ArgumentException("destination too small for an IPv6 address", nameof(destination));
    }

    public static int FormatNumber(long value, Span<byte> destination) =>
        Utf8Formatter.TryFormat(value, destination, out var written)
            ? written
            : throw new ArgumentException("destination too small for a number", nameof(destination));

    public static int FormatNumber(uint value, Span<byte> destination) =>
        Utf8Formatter.TryFormat(value, destination, out var written)
            ? written
            : throw new ArgumentException("destination too small for a number", nameof(destination));

    /// <summary>Encodes an address as the UTF-8 text a line carries (for pre-rendered pieces).</summary>
    public static byte[] AddressBytes(NetAddress address)
    {
        Span<byte> buffer = stackalloc byte[64];
        return buffer[..FormatAddress(address, buffer)].ToArray();
    }

    private static void Append(Span<byte> span, ref int n, ReadOnlySpan<byte> piece)
    {
        piece.CopyTo(span[n..]);
        n += piece.Length;
    }

    private static void Digits2(Span<byte> d, int at, int value)
    {
        d[at] = (byte)('0' + value / 10);
        d[at + 1] = (byte)('0' + value % 10);
    }

    private static void Digits4(Span<byte> d, int at, int value)
    {
        Digits2(d, at, value / 100);
        Digits2(d, at + 2, value % 100);
    }
}

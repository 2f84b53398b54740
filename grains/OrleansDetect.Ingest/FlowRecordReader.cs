using System.Text;
using System.Text.Json;

namespace OrleansDetect.Ingest;

/// <summary>Reads one JSON object of a flow event into a <see cref="FlowRecord"/>, straight from the UTF-8 bytes.</summary>
internal static class FlowRecordReader
{
    public const int MaxHostLength = 256;

    /// <summary>Room for any raw host value that could unescape to <see cref="MaxHostLength"/> chars (a <c>\uXXXX</c> escape is 6 bytes per char).</summary>
    public const int HostBufferLength = MaxHostLength * 6;

    /// <summary>Room for an unescaped key or short value; every field read through it (address, time, state, protocol, flags) is valid only when shorter.</summary>
    public const int ScratchLength = 128;

    private const int MaxShownLength = 64;

    private const string ZeekOrigPackets = "orig_pkts";
    private const string ZeekRespPackets = "resp_pkts";
    private const string ZeekOrigBytes = "orig_ip_bytes";
    private const string ZeekRespBytes = "resp_ip_bytes";

    /// <summary>
    /// The escaped string under the reader, unescaped into <paramref name="scratch"/>; its length. When the escapes spell
    /// something that is not text (an unpaired surrogate such as <c>"\ud800"</c>) the result is one 0xFF byte, which
    /// no field accepts, so the field's own parser rejects that line, naming the field, instead of the whole request
    /// failing.
    /// </summary>
    private static int Unescape(ref Utf8JsonReader reader, scoped Span<byte> scratch)
    {
        try
        {
            return reader.CopyString(scratch);
        }
        catch (InvalidOperationException)
        {
            scratch[0] = 0xFF;
            return 1;
        }
    }

    /// <summary>Reads from the <see cref="JsonTokenType.StartObject"/> under the reader to its matching end; unknown keys are skipped.</summary>
    /// <exception cref="JsonException">The bytes are not valid JSON.</exception>
    public static void Read(ref Utf8JsonReader reader, ref FlowRecord record, scoped Span<char> hostBuffer, scoped Span<byte> scratch)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var (field, key) = reader.ValueIsEscaped
                ? reader.ValueSpan.Length <= scratch.Length ? Match(scratch[..Unescape(ref reader, scratch)]) : (FlowField.Count, "")
                : Match(reader.ValueSpan);
            reader.Read();
            switch (field)
            {
                case FlowField.Ts:
                    ReadTime(ref reader, ref record, key, scratch);
                    break;
                case FlowField.Host:
                    ReadHost(ref reader, ref record, key, hostBuffer);
                    break;
                case FlowField.Src or FlowField.Dst:
                    ReadAddress(ref reader, ref record, field, key, scratch);
                    break;
                case FlowField.Sport or FlowField.Dport:
                    ReadPort(ref reader, ref record, field, key);
                    break;
                case FlowField.Proto:
                    ReadProtocol(ref reader, ref record, key, scratch);
                    break;
                case FlowField.State:
                    ReadState(ref reader, ref record, key, scratch);
                    break;
                case FlowField.Flags:
                    ReadFlags(ref reader, ref record, key, scratch);
                    break;
                case FlowField.Bytes or FlowField.Packets:
                    ReadCounter(ref reader, ref record, field, key);
                    break;
                default:
                    // Unknown keys are ignored so newer clients can send fields this version does not know.
                    reader.Skip();
                    break;
            }
        }
    }

    /// <summary>Describes the value under the reader for an error message: strings quoted, long values cut.</summary>
    public static string Show(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                if (reader.ValueSpan.Length > MaxShownLength * 4)
                {
                    return $"'{Encoding.UTF8.GetString(reader.ValueSpan[..MaxShownLength])}…'";
                }

                string text;
                try
                {
                    text = reader.GetString()!;
                }
                catch (InvalidOperationException)
                {
                    text = Encoding.UTF8.GetString(reader.ValueSpan);
                }

                return $"'{Cut(text)}'";
            case JsonTokenType.Number:
                return Cut(Encoding.UTF8.GetString(reader.ValueSpan[..Math.Min(reader.ValueSpan.Length, MaxShownLength + 1)]));
            case JsonTokenType.True:
                return "true";
            case JsonTokenType.False:
                return "false";
            case JsonTokenType.Null:
                return "null";
            case JsonTokenType.StartObject:
                return "an object";
            case JsonTokenType.StartArray:
                return "an array";
            default:
                return reader.TokenType.ToString();
        }

        static string Cut(string text) => text.Length <= MaxShownLength ? text : string.Concat(text.AsSpan(0, MaxShownLength), "…");
    }

    // First byte and length single out the one candidate key, so each property costs at most one comparison.
    private static (FlowField Field, string Key) Match(ReadOnlySpan<byte> name) => name.Length == 0 ? (FlowField.Count, "") : (name[0], name.Length) switch
    {
        ((byte)'t', 2) when name.SequenceEqual("ts"u8) => (FlowField.Ts, "ts"),
        ((byte)'t', 4) when name.SequenceEqual("time"u8) => (FlowField.Ts, "time"),
        ((byte)'t', 9) when name.SequenceEqual("timestamp"u8) => (FlowField.Ts, "timestamp"),
        ((byte)'h', 4) when name.SequenceEqual("host"u8) => (FlowField.Host, "host"),
        ((byte)'w', 8) when name.SequenceEqual("workload"u8) => (FlowField.Host, "workload"),
        ((byte)'s', 3) when name.SequenceEqual("src"u8) => (FlowField.Src, "src"),
        ((byte)'d', 3) when name.SequenceEqual("dst"u8) => (FlowField.Dst, "dst"),
        ((byte)'s', 5) when name[1] == 'p' && name.SequenceEqual("sport"u8) => (FlowField.Sport, "sport"),
        ((byte)'s', 5) when name.SequenceEqual("state"u8) => (FlowField.State, "state"),
        ((byte)'d', 5) when name.SequenceEqual("dport"u8) => (FlowField.Dport, "dport"),
        ((byte)'p', 5) when name.SequenceEqual("proto"u8) => (FlowField.Proto, "proto"),
        ((byte)'p', 7) when name.SequenceEqual("packets"u8) => (FlowField.Packets, "packets"),
        ((byte)'b', 5) when name.SequenceEqual("bytes"u8) => (FlowField.Bytes, "bytes"),
        ((byte)'f', 5) when name.SequenceEqual("flags"u8) => (FlowField.Flags, "flags"),

        // Zeek conn.log as JSON lines: the connection's originator is the event's source, and its counters add up both directions.
        ((byte)'i', 9) when name.SequenceEqual("id.orig_h"u8) => (FlowField.Src, "id.orig_h"),
        ((byte)'i', 9) when name.SequenceEqual("id.orig_p"u8) => (FlowField.Sport, "id.orig_p"),
        ((byte)'i', 9) when name.SequenceEqual("id.resp_h"u8) => (FlowField.Dst, "id.resp_h"),
        ((byte)'i', 9) when name.SequenceEqual("id.resp_p"u8) => (FlowField.Dport, "id.resp_p"),
        ((byte)'c', 10) when name.SequenceEqual("conn_state"u8) => (FlowField.State, "conn_state"),
        ((byte)'o', 9) when name.SequenceEqual("orig_pkts"u8) => (FlowField.Packets, ZeekOrigPackets),
        ((byte)'r', 9) when name.SequenceEqual("resp_pkts"u8) => (FlowField.Packets, ZeekRespPackets),
        ((byte)'o', 13) when name.SequenceEqual("orig_ip_bytes"u8) => (FlowField.Bytes, ZeekOrigBytes),
        ((byte)'r', 13) when name.SequenceEqual("resp_ip_bytes"u8) => (FlowField.Bytes, ZeekRespBytes),
        _ => (FlowField.Count, ""),
    };

    // JSON null reads as "absent" for every field, so a client that serializes unset optionals as null is not rejected.
    private static void ReadTime(ref Utf8JsonReader reader, ref FlowRecord record, string key, scoped Span<byte> scratch)
    {
        TimestampStatus status;
        long unixMs;
        switch (reader.TokenType)
        {
            case JsonTokenType.String when reader.ValueSpan.Length <= scratch.Length:
                ReadOnlySpan<byte> text = reader.ValueIsEscaped ? scratch[..Unescape(ref reader, scratch)] : reader.ValueSpan;
                status = EventTimestamp.ParseRfc3339(text, out unixMs);
                break;
            case JsonTokenType.Number:
                status = EventTimestamp.ParseUnixSeconds(reader.ValueSpan, out unixMs);
                break;
            case JsonTokenType.Null:
                record.HasTime = false;
                record.Clear(FlowField.Ts);
                return;
            default:
                status = TimestampStatus.Invalid;
                unixMs = 0;
                break;
        }

        if (status == TimestampStatus.Ok)
        {
            record.TimeMs = unixMs;
            record.HasTime = true;
            record.Clear(FlowField.Ts);
            return;
        }

        var shown = Show(ref reader);
        record.Fail(FlowField.Ts, status switch
        {
            TimestampStatus.NoOffset => $"field '{key}': {shown} has no UTC offset (end it with 'Z' or '+hh:mm')",
            TimestampStatus.BeforeEpoch => $"field '{key}': {shown} is before 1970",
            TimestampStatus.LooksLikeMilliseconds => $"field '{key}': {shown} is too large for Unix seconds (milliseconds?)",
            _ => $"field '{key}': {shown} is not an RFC 3339 timestamp or a number of Unix seconds",
        });
        reader.Skip();
    }

    private static void ReadHost(ref Utf8JsonReader reader, ref FlowRecord record, string key, scoped Span<char> hostBuffer)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                record.HostLength = -1;
                record.Clear(FlowField.Host);
                return;
            case JsonTokenType.String when reader.ValueSpan.Length > hostBuffer.Length:
                record.Fail(FlowField.Host, $"field '{key}': longer than {MaxHostLength} characters");
                return;
            case JsonTokenType.String:
                int length;
                try
                {
                    length = reader.CopyString(hostBuffer);
                }
                catch (InvalidOperationException)
                {
                    record.Fail(FlowField.Host, $"field '{key}': not valid UTF-8");
                    return;
                }

                if (length == 0)
                {
                    record.Fail(FlowField.Host, $"field '{key}': must not be empty");
                }
                else if (length > MaxHostLength)
                {
                    record.Fail(FlowField.Host, $"field '{key}': longer than {MaxHostLength} characters");
                }
                else
                {
                    record.HostLength = length;
                    record.Clear(FlowField.Host);
                }

                return;
            default:
                record.Fail(FlowField.Host, $"field '{key}': {Show(ref reader)} is not a string");
                reader.Skip();
                return;
        }
    }

    private static void ReadAddress(ref Utf8JsonReader reader, ref FlowRecord record, FlowField field, string key, scoped Span<byte> scratch)
    {
        NetAddress address = default;
        var valid = reader.TokenType switch
        {
            JsonTokenType.Null => true,
            JsonTokenType.String when reader.ValueSpan.Length <= scratch.Length =>
                NetAddressText.TryParse(reader.ValueIsEscaped ? scratch[..Unescape(ref reader, scratch)] : reader.ValueSpan, out address),
            _ => false,
        };

        if (!valid)
        {
            record.Fail(field, $"field '{key}': {Show(ref reader)} is not an IPv4 or IPv6 address");
            reader.Skip();
            return;
        }

        var present = reader.TokenType != JsonTokenType.Null;
        if (field == FlowField.Src)
        {
            record.Src = address;
            record.HasSrc = present;
        }
        else
        {
            record.Dst = address;
            record.HasDst = present;
        }

        record.Clear(field);
    }

    private static void ReadPort(ref Utf8JsonReader reader, ref FlowRecord record, FlowField field, string key)
    {
        var port = -1;
        string? problem = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                break;
            case JsonTokenType.Number when TryParseDigits(reader.ValueSpan, out var value) && value <= ushort.MaxValue:
                port = (int)value;
                break;
            case JsonTokenType.Number when IsIntegerText(reader.ValueSpan):
                problem = "is outside 0-65535";
                break;
            default:
                problem = "is not an integer";
                break;
        }

        if (problem is not null)
        {
            record.Fail(field, $"field '{key}': {Show(ref reader)} {problem}");
            reader.Skip();
            return;
        }

        if (field == FlowField.Sport)
        {
            record.SrcPort = port;
        }
        else
        {
            record.DstPort = port;
        }

        record.Clear(field);
    }

    private static void ReadCounter(ref Utf8JsonReader reader, ref FlowRecord record, FlowField field, string key)
    {
        var count = -1L;
        string? problem = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                break;
            case JsonTokenType.Number when TryParseDigits(reader.ValueSpan, out var value) || reader.TryGetInt64(out value):
                if (value < 0)
                {
                    problem = "is negative";
                }

                count = value;
                break;
            case JsonTokenType.Number when IsIntegerText(reader.ValueSpan):
                problem = reader.ValueSpan[0] == '-' ? "is negative" : "is too large";
                break;
            default:
                problem = "is not an integer";
                break;
        }

        if (problem is not null)
        {
            record.Fail(field, $"field '{key}': {Show(ref reader)} {problem}");
            reader.Skip();
            return;
        }

        // Zeek's per-direction counters add to what the other direction gave.
        var adds = count >= 0 && key is ZeekOrigPackets or ZeekRespPackets or ZeekOrigBytes or ZeekRespBytes;
        if (field == FlowField.Bytes)
        {
            record.Bytes = adds && record.Bytes > 0 ? record.Bytes + count : count;
        }
        else
        {
            record.Packets = adds && record.Packets > 0 ? record.Packets + count : count;
        }

        record.Clear(field);
    }

    private static void ReadProtocol(ref Utf8JsonReader reader, ref FlowRecord record, string key, scoped Span<byte> scratch)
    {
        FlowProtocol protocol = 0;
        var valid = reader.TokenType switch
        {
            JsonTokenType.Null => true,
            JsonTokenType.String when reader.ValueSpan.Length <= scratch.Length =>
                FlowStates.TryParseProtocol(reader.ValueIsEscaped ? scratch[..Unescape(ref reader, scratch)] : reader.ValueSpan, out protocol),
            JsonTokenType.Number => reader.TryGetInt64(out var number) && FlowStates.TryParseProtocol(number, out protocol),
            _ => false,
        };

        if (!valid)
        {
            record.Fail(FlowField.Proto, $"field '{key}': {Show(ref reader)} is not tcp, udp or icmp");
            reader.Skip();
            return;
        }

        record.Protocol = protocol;
        record.Clear(FlowField.Proto);
    }

    private static void ReadState(ref Utf8JsonReader reader, ref FlowRecord record, string key, scoped Span<byte> scratch)
    {
        FlowState state = 0;
        var valid = reader.TokenType switch
        {
            JsonTokenType.Null => true,
            JsonTokenType.String when reader.ValueSpan.Length <= scratch.Length =>
                FlowStates.TryParseState(reader.ValueIsEscaped ? scratch[..Unescape(ref reader, scratch)] : reader.ValueSpan, out state),
            _ => false,
        };

        if (!valid)
        {
            record.Fail(FlowField.State, $"field '{key}': {Show(ref reader)} is not attempted, rejected, established or a Zeek conn_state");
            reader.Skip();
            return;
        }

        record.State = state;
        record.Clear(FlowField.State);
    }

    private static void ReadFlags(ref Utf8JsonReader reader, ref FlowRecord record, string key, scoped Span<byte> scratch)
    {
        var flags = -1;
        var valid = reader.TokenType switch
        {
            JsonTokenType.Null => true,
            JsonTokenType.String when reader.ValueSpan.Length <= scratch.Length =>
                FlowStates.TryParseFlags(reader.ValueIsEscaped ? scratch[..Unescape(ref reader, scratch)] : reader.ValueSpan, out flags),
            JsonTokenType.Number => reader.TryGetInt32(out flags) && (uint)flags <= ushort.MaxValue,
            _ => false,
        };

        if (!valid)
        {
            record.Fail(FlowField.Flags, $"field '{key}': {Show(ref reader)} is not TCP flags (letters such as \"SA\", or a bitmask 0-65535)");
            reader.Skip();
            return;
        }

        record.Flags = flags;
        record.Clear(FlowField.Flags);
    }

    /// <summary>Plain non-negative integers of up to 18 digits, the form counters and ports come in; anything else takes the reader's own path.</summary>
    private static bool TryParseDigits(ReadOnlySpan<byte> number, out long value)
    {
        value = 0;
        if (number.Length is 0 or > 18)
        {
            return false;
        }

        foreach (var b in number)
        {
            var digit = (uint)(b - '0');
            if (digit > 9)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }

    private static bool IsIntegerText(ReadOnlySpan<byte> number)
    {
        var digits = number.Length > 0 && number[0] == '-' ? number[1..] : number;
        return digits.Length > 0 && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9');
    }
}

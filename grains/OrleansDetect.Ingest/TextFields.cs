using System.Text;

namespace OrleansDetect.Ingest;

/// <summary>Reads the text fields of Zeek and VPC lines into a <see cref="FlowRecord"/>, with errors that name the field as the format calls it.</summary>
internal static class TextFields
{
    private const int MaxShownLength = 64;

    public static void Time(ref FlowRecord record, ReadOnlySpan<byte> value, string key)
    {
        var status = EventTimestamp.ParseUnixSeconds(value, out var unixMs);
        if (status == TimestampStatus.Ok)
        {
            record.TimeMs = unixMs;
            record.HasTime = true;
            return;
        }

        record.Fail(FlowField.Ts, $"field '{key}': {Show(value)} is not a Unix time in seconds");
    }

    public static void Address(ref FlowRecord record, FlowField field, ReadOnlySpan<byte> value, string key)
    {
        if (!NetAddressText.TryParse(value, out var address))
        {
            record.Fail(field, $"field '{key}': {Show(value)} is not an IP address");
            return;
        }

        if (field == FlowField.Src)
        {
            record.Src = address;
            record.HasSrc = true;
        }
        else
        {
            record.Dst = address;
            record.HasDst = true;
        }
    }

    public static void Port(ref FlowRecord record, FlowField field, ReadOnlySpan<byte> value, string key)
    {
        if (!TryDigits(value, out var port) || port > ushort.MaxValue)
        {
            record.Fail(field, $"field '{key}': {Show(value)} is outside 0-65535");
            return;
        }

        if (field == FlowField.Sport) record.SrcPort = (int)port;
        else record.DstPort = (int)port;
    }

    /// <summary>A name (<c>tcp</c>, as Zeek writes it) or an IANA number (as VPC writes it).</summary>
    public static void Protocol(ref FlowRecord record, ReadOnlySpan<byte> value, string key)
    {
        if (FlowStates.TryParseProtocol(value, out var protocol)
            || (TryDigits(value, out var number) && FlowStates.TryParseProtocol(number, out protocol)))
        {
            record.Protocol = protocol;
            return;
        }

        record.Fail(FlowField.Proto, $"field '{key}': {Show(value)} is not tcp, udp or icmp");
    }

    /// <summary>A counter; <paramref name="add"/> adds it to the other direction's (Zeek's orig_/resp_ pairs).</summary>
    public static void Counter(ref FlowRecord record, FlowField field, ReadOnlySpan<byte> value, string key, bool add)
    {
        if (!TryDigits(value, out var count))
        {
            record.Fail(field, $"field '{key}': {Show(value)} is not a non-negative integer");
            return;
        }

        if (field == FlowField.Bytes) record.Bytes = add && record.Bytes > 0 ? record.Bytes + count : count;
        else record.Packets = add && record.Packets > 0 ? record.Packets + count : count;
    }

    public static void State(ref FlowRecord record, ReadOnlySpan<byte> value, string key)
    {
        if (FlowStates.TryParseState(value, out var state))
        {
            record.State = state;
            return;
        }

        record.Fail(FlowField.State, $"field '{key}': {Show(value)} is not a known connection state");
    }

    public static bool TryDigits(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 18) return false;
        foreach (var c in text)
        {
            if ((uint)(c - '0') > 9) return false;
            value = (value * 10) + (c - '0');
        }

        return true;
    }

    /// <summary>Copies a workload name (ASCII-safe) into the host buffer; false when it is too long.</summary>
    public static bool Workload(ref FlowRecord record, ReadOnlySpan<byte> value, Span<char> hostBuffer)
    {
        if (value.Length > hostBuffer.Length || !Ascii.IsValid(value)) return false;
        record.HostLength = Encoding.ASCII.GetChars(value, hostBuffer);
        return true;
    }

    public static string Show(ReadOnlySpan<byte> value) =>
        value.Length <= MaxShownLength ? $"'{Encoding.UTF8.GetString(value)}'" : $"'{Encoding.UTF8.GetString(value[..MaxShownLength])}…'";
}

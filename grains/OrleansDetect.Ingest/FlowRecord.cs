using System.Runtime.CompilerServices;

namespace OrleansDetect.Ingest;

/// <summary>The fields of a flow event, in the order their errors are reported.</summary>
internal enum FlowField : byte
{
    Ts,
    Host,
    Src,
    Sport,
    Dst,
    Dport,
    Proto,
    State,
    Flags,
    Bytes,
    Packets,
    Count,
}

[InlineArray((int)FlowField.Count)]
internal struct FieldErrors
{
    private string? _first;
}

/// <summary>
/// One line's fields as read so far, each with a presence marker. Kept as raw values until the whole object is read
/// because duplicate keys follow last-wins, and a later valid value clears an earlier value's error.
/// </summary>
internal struct FlowRecord
{
    public long TimeMs;
    public bool HasTime;

    /// <summary>Characters of <c>host</c> in the caller's host buffer, or -1 when absent.</summary>
    public int HostLength;

    public NetAddress Src;
    public bool HasSrc;
    public NetAddress Dst;
    public bool HasDst;

    /// <summary>-1 when absent.</summary>
    public int SrcPort;

    /// <summary>-1 when absent.</summary>
    public int DstPort;

    /// <summary>0 when absent.</summary>
    public FlowProtocol Protocol;

    /// <summary>0 when absent.</summary>
    public FlowState State;

    /// <summary>TCP flag bits, or -1 when absent.</summary>
    public int Flags;

    /// <summary>-1 when absent.</summary>
    public long Bytes;

    /// <summary>-1 when absent.</summary>
    public long Packets;

    /// <summary>Bit per <see cref="FlowField"/> whose current value is invalid; the message is in <see cref="Errors"/>.</summary>
    public int ErrorMask;

    public FieldErrors Errors;

    public static FlowRecord Empty => new()
    {
        HostLength = -1,
        SrcPort = -1,
        DstPort = -1,
        Flags = -1,
        Bytes = -1,
        Packets = -1,
    };

    public void Fail(FlowField field, string message)
    {
        Errors[(int)field] = message;
        ErrorMask |= 1 << (int)field;
    }

    public void Clear(FlowField field) => ErrorMask &= ~(1 << (int)field);
}

namespace OrleansDetect.Ingest.NetFlow;

/// <summary>
/// One flow record as an exporter sent it: one direction of a connection (NetFlow v5/v9, IPFIX), or both when the
/// exporter writes RFC 5103 biflow records. <see cref="FlowStitcher"/> turns these into flow events.
/// </summary>
public struct ExportedFlow
{
    /// <summary>The address the record came from.</summary>
    public NetAddress Exporter;

    /// <summary>Flow start and end, Unix milliseconds (0 when the record gave no time).</summary>
    public long StartMs;
    public long EndMs;

    public NetAddress Src;
    public NetAddress Dst;
    public ushort SrcPort;
    public ushort DstPort;

    /// <summary>IANA protocol number.</summary>
    public byte Protocol;

    /// <summary>TCP flags OR-ed over the flow's packets in this direction.</summary>
    public ushort TcpFlags;

    public long Bytes;
    public long Packets;

    /// <summary>1 in N packets was sampled; 1 for unsampled records.</summary>
    public uint SamplingInterval;

    /// <summary>The record carried RFC 5103 reverse counters: it describes both directions, <see cref="Src"/> being the initiator.</summary>
    public bool IsBiflow;
    public long ReverseBytes;
    public long ReversePackets;
    public ushort ReverseTcpFlags;

    /// <summary>The flow's event time: its end (records are exported at expiry, so ends arrive roughly in order,
    /// while a long connection's start can be far behind the workload's clock).</summary>
    public readonly long EventTimeMs => EndMs != 0 ? EndMs : StartMs;
}

/// <summary>A reusable, growable buffer of decoded records: the decoders write into it, so a warm decoder allocates nothing per record.</summary>
public sealed class ExportedFlowBuffer
{
    private ExportedFlow[] _items;

    public ExportedFlowBuffer(int capacity = 256) => _items = new ExportedFlow[Math.Max(capacity, 16)];

    public int Count { get; private set; }

    public ReadOnlySpan<ExportedFlow> Records => _items.AsSpan(0, Count);

    public ref ExportedFlow this[int index] => ref _items[index];

    /// <summary>A cleared slot at the end.</summary>
    public ref ExportedFlow Add()
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        ref var slot = ref _items[Count++];
        slot = default;
        return ref slot;
    }

    /// <summary>Forgets the records from <paramref name="count"/> on (a malformed datagram's records are not kept).</summary>
    public void Truncate(int count) => Count = Math.Min(Count, Math.Max(count, 0));

    public void Clear() => Count = 0;
}

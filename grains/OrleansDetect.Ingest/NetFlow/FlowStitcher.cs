namespace OrleansDetect.Ingest.NetFlow;

/// <summary>A connection as a flow event, with the sampling its records were taken under (1: unsampled).</summary>
public readonly record struct StitchedFlow(FlowEvent Event, uint SamplingInterval, NetAddress Exporter)
{
    public bool IsSampled => SamplingInterval > 1;
}

/// <summary>
/// Joins the two one-way records of one connection into one flow event. Exporters such as softflowd send the
/// probe's SYN and the target's RST|ACK (or SYN|ACK) as separate records; alone, the first looks unanswered and the
/// second looks like the target probing back. A record waits up to the window for its reverse; the pair decides the
/// state (RST back: rejected; SYN|ACK back or a reply: established; nothing back: judged on the record alone), and the
/// event is always the initiator's. A reply whose request never came is turned round, so it is never counted as the
/// target's own activity. RFC 5103 biflow records carry both directions and are used directly.
/// </summary>
public sealed class FlowStitcher
{
    private const int Fin = 0x01;
    private const int Syn = 0x02;
    private const int Rst = 0x04;
    private const int Psh = 0x08;
    private const int Ack = 0x10;

    /// <summary>Below this a port is a service's (IANA system ports), used to tell a UDP reply from a request.</summary>
    private const int SystemPortLimit = 1024;

    private readonly long _windowMs;

    // Waiting records by a 64-bit hash of their connection key, verified against the slot's key on a hit: small entries
    // keep the index in cache when the table is full (the collector's steady state above ~130,000 one-way records/s),
    // where a dictionary of whole keys cost several cache misses per record.
    private readonly Dictionary<ulong, int> _pending;
    private readonly Slot[] _slots;
    private int _head;
    private int _count;

    /// <param name="windowMs">How long a record waits for its reverse before it is judged alone.</param>
    /// <param name="maxPending">Records waiting at once; when full the oldest is judged alone early.</param>
    public FlowStitcher(long windowMs, int maxPending = 1 << 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(windowMs);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPending, 1);
        _windowMs = windowMs;
        _slots = new Slot[maxPending];
        _pending = new Dictionary<ulong, int>(Math.Min(maxPending, 4096));
    }

    /// <summary>Records dropped because their protocol is not TCP, UDP or ICMP.</summary>
    public long UnsupportedProtocol { get; private set; }

    /// <summary>Records waiting for their reverse.</summary>
    public int Pending => _pending.Count;

    /// <summary>Takes one record; a biflow record, or one completing a pair, comes out at once.</summary>
    public void Add(in ExportedFlow flow, long nowMs, List<StitchedFlow> output)
    {
        if (!TryProtocol(flow.Protocol, out var protocol))
        {
            UnsupportedProtocol++;
            return;
        }

        if (flow.IsBiflow)
        {
            output.Add(flow.ReversePackets > 0 || flow.ReverseBytes > 0
                ? Pair(flow, Reverse(flow), protocol)
                : Alone(flow, protocol, mayBeReply: false));
            return;
        }

        var key = ConnectionKey.Of(flow, protocol, out var forward);
        var hash = key.Hash64();
        if (_pending.TryGetValue(hash, out var index) && _slots[index].Key.Equals(key))
        {
            ref var waiting = ref _slots[index];
            _pending.Remove(hash);
            waiting.Live = false;
            if (waiting.Forward != forward)
            {
                output.Add(IsInitiator(waiting.Flow, flow) ? Pair(waiting.Flow, flow, protocol) : Pair(flow, waiting.Flow, protocol));
                return;
            }

            // The same direction again (a new connection reusing the ports, or an active-timeout re-export): the first is done.
            output.Add(Alone(waiting.Flow, protocol, mayBeReply: true));
        }

        if (_count == _slots.Length)
        {
            PopOldest(output);
        }

        var tail = (_head + _count) % _slots.Length;
        _slots[tail] = new Slot { Flow = flow, Key = key, Hash = hash, Forward = forward, ArrivedMs = nowMs, Live = true };
        _count++;

        // A different connection with the same hash (about once in 10^10 tables) loses its entry and is judged alone when it leaves.
        _pending[hash] = tail;
    }

    /// <summary>Judges alone every record that waited the whole window (all of them when <paramref name="all"/>).</summary>
    public void Flush(long nowMs, List<StitchedFlow> output, bool all = false)
    {
        while (_count > 0)
        {
            ref var oldest = ref _slots[_head];
            if (oldest.Live && !all && nowMs - oldest.ArrivedMs < _windowMs)
            {
                return;
            }

            PopOldest(output);
        }
    }

    private void PopOldest(List<StitchedFlow> output)
    {
        ref var oldest = ref _slots[_head];
        if (oldest.Live)
        {
            if (_pending.Remove(oldest.Hash, out var index) && index != _head) _pending[oldest.Hash] = index;
            TryProtocol(oldest.Flow.Protocol, out var protocol);
            output.Add(Alone(oldest.Flow, protocol, mayBeReply: true));
        }

        oldest = default;
        _head = (_head + 1) % _slots.Length;
        _count--;
    }

    private static bool TryProtocol(byte number, out FlowProtocol protocol) => FlowStates.TryParseProtocol(number, out protocol);

    /// <summary>
    /// Which of two opposite records opened the connection: the one that sent a SYN when the other did not, then the
    /// one whose SYN was not acknowledging (SYN vs SYN|ACK), then the one towards the lower port (the service), then
    /// the earlier.
    /// </summary>
    private static bool IsInitiator(in ExportedFlow first, in ExportedFlow second)
    {
        if (first.Protocol == 6)
        {
            var a = first.TcpFlags;
            var b = second.TcpFlags;
            if ((a & Syn) != (b & Syn)) return (a & Syn) != 0;
            if ((a & Syn) != 0 && (a & Ack) != (b & Ack)) return (a & Ack) == 0;
        }

        return first.DstPort == second.DstPort || first.DstPort < second.DstPort;
    }

    private static StitchedFlow Pair(in ExportedFlow initiator, in ExportedFlow reply, FlowProtocol protocol)
    {
        var state = FlowState.Established;
        if (protocol == FlowProtocol.Tcp)
        {
            var answered = (reply.TcpFlags & (Syn | Ack)) == (Syn | Ack);
            var carriedData = ((initiator.TcpFlags | reply.TcpFlags) & Psh) != 0;
            if (!answered && (reply.TcpFlags & Rst) != 0 && !carriedData)
            {
                state = FlowState.Rejected;
            }
            else if (reply.Packets == 0 && reply.Bytes == 0)
            {
                state = FlowStates.Infer(protocol, initiator.TcpFlags, initiator.Bytes, initiator.Packets);
            }
        }
        else if (reply.Packets == 0 && reply.Bytes == 0)
        {
            state = FlowStates.Infer(protocol, -1, initiator.Bytes, initiator.Packets);
        }

        return new StitchedFlow(
            new FlowEvent(
                Math.Max(initiator.EventTimeMs, reply.EventTimeMs),
                initiator.Src,
                initiator.SrcPort,
                initiator.Dst,
                initiator.DstPort,
                protocol,
                state,
                initiator.Bytes + reply.Bytes,
                initiator.Packets + reply.Packets),
            Math.Max(initiator.SamplingInterval, reply.SamplingInterval),
            initiator.Exporter);
    }

    /// <summary>A record whose reverse never came (or a biflow record without reverse traffic, whose source is the initiator): a reply is turned round to its initiator's view; anything else is judged on its own flags and counters.</summary>
    private static StitchedFlow Alone(in ExportedFlow flow, FlowProtocol protocol, bool mayBeReply)
    {
        if (mayBeReply && IsReply(flow, protocol))
        {
            var state = protocol == FlowProtocol.Tcp && (flow.TcpFlags & (Syn | Rst)) == Rst ? FlowState.Rejected : FlowState.Established;
            return new StitchedFlow(
                new FlowEvent(flow.EventTimeMs, flow.Dst, flow.DstPort, flow.Src, flow.SrcPort, protocol, state, flow.Bytes, flow.Packets),
                flow.SamplingInterval,
                flow.Exporter);
        }

        var inferred = FlowStates.Infer(protocol, protocol == FlowProtocol.Tcp ? flow.TcpFlags : -1, flow.Bytes, flow.Packets);
        return new StitchedFlow(
            new FlowEvent(flow.EventTimeMs, flow.Src, flow.SrcPort, flow.Dst, flow.DstPort, protocol, inferred, flow.Bytes, flow.Packets),
            flow.SamplingInterval,
            flow.Exporter);
    }

    /// <summary>
    /// A record that can only be the answering side: a TCP RST (or RST|ACK) that never sent a SYN, a SYN|ACK or plain
    /// ACK stream from the lower port, or UDP from a system port to a higher one (DNS, NTP and syslog replies).
    /// </summary>
    private static bool IsReply(in ExportedFlow flow, FlowProtocol protocol)
    {
        if (protocol == FlowProtocol.Tcp)
        {
            var flags = flow.TcpFlags;
            if ((flags & Syn) == 0 && (flags & Rst) != 0) return true;
            if ((flags & Ack) == 0 || (flags & (Syn | Ack | Fin | Rst)) == Syn) return false;
            return flow.SrcPort < flow.DstPort;
        }

        return protocol == FlowProtocol.Udp && flow.SrcPort < SystemPortLimit && flow.DstPort >= SystemPortLimit;
    }

    private static ExportedFlow Reverse(in ExportedFlow biflow) => new()
    {
        StartMs = biflow.StartMs,
        EndMs = biflow.EndMs,
        Src = biflow.Dst,
        Dst = biflow.Src,
        SrcPort = biflow.DstPort,
        DstPort = biflow.SrcPort,
        Protocol = biflow.Protocol,
        TcpFlags = biflow.ReverseTcpFlags,
        Bytes = biflow.ReverseBytes,
        Packets = biflow.ReversePackets,
        SamplingInterval = biflow.SamplingInterval,
        Exporter = biflow.Exporter,
    };

    private struct Slot
    {
        public ExportedFlow Flow;
        public ConnectionKey Key;
        public ulong Hash;
        public bool Forward;
        public bool Live;
        public long ArrivedMs;
    }

    /// <summary>A connection's 5-tuple with its endpoints in a fixed order, so both directions share one key.</summary>
    private readonly record struct ConnectionKey(NetAddress Low, NetAddress High, ushort LowPort, ushort HighPort, FlowProtocol Protocol)
    {
        // The generated members go through EqualityComparer per field; Equals is on the hot path of every paired record.
        public bool Equals(ConnectionKey other) =>
            Low.Lo == other.Low.Lo && High.Lo == other.High.Lo && Low.Hi == other.Low.Hi && High.Hi == other.High.Hi
            && LowPort == other.LowPort && HighPort == other.HighPort && Protocol == other.Protocol;

        /// <summary>The fields mixed into 64 bits (murmur3's finaliser), so hashes of distinct keys practically never meet.</summary>
        public ulong Hash64()
        {
            var h = (Low.Lo * 0x9E37_79B9_7F4A_7C15UL) ^ ulong.RotateLeft(High.Lo * 0xC2B2_AE3D_27D4_EB4FUL, 31)
                ^ (Low.Hi * 0x1656_67B1_9E37_79F9UL) ^ ulong.RotateLeft(High.Hi * 0x85EB_CA77_C2B2_AE63UL, 17)
                ^ (((ulong)LowPort << 40) | ((ulong)HighPort << 16) | (byte)Protocol);
            h ^= h >> 33;
            h *= 0xFF51_AFD7_ED55_8CCDUL;
            h ^= h >> 33;
            h *= 0xC4CE_B9FE_1A85_EC53UL;
            return h ^ (h >> 33);
        }

        public override int GetHashCode() => (int)Hash64();

        public static ConnectionKey Of(in ExportedFlow flow, FlowProtocol protocol, out bool forward)
        {
            // ICMP's "ports" are type and code, which differ between a request and its reply.
            var srcPort = protocol == FlowProtocol.Icmp ? (ushort)0 : flow.SrcPort;
            var dstPort = protocol == FlowProtocol.Icmp ? (ushort)0 : flow.DstPort;
            var order = flow.Src.Hi != flow.Dst.Hi ? flow.Src.Hi.CompareTo(flow.Dst.Hi)
                : flow.Src.Lo != flow.Dst.Lo ? flow.Src.Lo.CompareTo(flow.Dst.Lo)
                : srcPort.CompareTo(dstPort);
            forward = order <= 0;
            return forward
                ? new ConnectionKey(flow.Src, flow.Dst, srcPort, dstPort, protocol)
                : new ConnectionKey(flow.Dst, flow.Src, dstPort, srcPort, protocol);
        }
    }
}

using System.Buffers;
using System.Text;

namespace OrleansDetect.Client.Load;

/// <summary>
/// Steady synthetic traffic from N workloads: 80% established connections to shared services, 20% failed
/// connections to a small, fixed pool per workload (6 internal hosts × 2 ports, 3 public hosts on one port),
/// so no workload ever gets near a sweep (25) or scan (15) threshold however long the run.
/// Every repeating piece of a line is rendered to UTF-8 once; a line is then a few copies and integer formats.
/// </summary>
internal sealed class SyntheticFlows
{
    /// <summary>Longest line this generator writes (pieces are bounded by the address and name lengths used here).</summary>
    private const int MaxLineLength = 320;

    private const int InternalFailurePool = 6;
    private const int PublicFailurePool = 3;
    private static readonly ushort[] InternalFailurePorts = [8080, 9200];
    private const ushort PublicFailurePort = 443;

    /// <summary>Addresses failed connections go to; each workload uses a window of them.</summary>
    private static readonly NetAddress[] InternalFailureTargets =
        [.. Enumerable.Range(1, 64).Select(i => NetAddress.FromV4(10, 0, 30, (byte)i))];

    private static readonly NetAddress[] PublicFailureTargets =
        [.. Enumerable.Range(100, 16).Select(i => NetAddress.FromV4(192, 0, 2, (byte)i))];

    private static readonly (NetAddress Address, ushort Port, FlowProtocol Protocol)[] Services =
    [
        (NetAddress.FromV4(10, 0, 2, 10), 5432, FlowProtocol.Tcp),
        (NetAddress.FromV4(10, 0, 4, 7), 6379, FlowProtocol.Tcp),
        (NetAddress.FromV4(10, 0, 5, 5), 8443, FlowProtocol.Tcp),
        (NetAddress.FromV4(10, 0, 6, 8), 5672, FlowProtocol.Tcp),
        (NetAddress.FromV4(192, 0, 2, 10), 443, FlowProtocol.Tcp),
        (NetAddress.FromV4(192, 0, 2, 20), 443, FlowProtocol.Tcp),
        (NetAddress.FromV4(10, 0, 0, 2), 53, FlowProtocol.Udp),
        (NetAddress.FromV4(10, 0, 0, 3), 53, FlowProtocol.Udp),
    ];

    // {"ts":"<ts>","host":"<w>","src":"<a>","sport":<n>,"dst":"<a>","dport":<n>,"proto":"tcp","state":"<s>","bytes":<n>,"packets":<n>}
    private readonly byte[][] _workloadPieces;
    private readonly byte[][] _establishedPieces;
    /// <summary>Indexed [target][port][state]: internal failures.</summary>
    private readonly byte[][] _internalFailurePieces;
    /// <summary>Indexed [target][state]: public failures.</summary>
    private readonly byte[][] _publicFailurePieces;

    /// <summary>Whether each workload sends failed connections at all (<c>load --probing</c>); the others only establish.</summary>
    private readonly bool[] _probing;

    /// <param name="probingPercent">Share of the workloads (every one whose index mod 100 is below it) that send failed connections.</param>
    public SyntheticFlows(int workloads, string namePrefix = "load-w", int probingPercent = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workloads, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(probingPercent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probingPercent, 100);
        _probing = [.. Enumerable.Range(0, workloads).Select(i => i % 100 < probingPercent)];
        if (!namePrefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException("workload name prefix must be letters, digits, '-', '_' or '.'", nameof(namePrefix));
        }

        Names = [.. Enumerable.Range(0, workloads).Select(i => $"{namePrefix}{i}")];
        _workloadPieces = [.. Enumerable.Range(0, workloads).Select(i =>
            Encoding.UTF8.GetBytes($"\",\"host\":\"{Names[i]}\",\"src\":\"{WorkloadAddress(i)}\",\"sport\":"))];
        _establishedPieces = [.. Services.Select(s => DestinationPiece(s.Address, s.Port, s.Protocol, FlowState.Established))];
        _internalFailurePieces = [.. InternalFailureTargets.SelectMany(a => InternalFailurePorts.SelectMany(p => new[]
        {
            DestinationPiece(a, p, FlowProtocol.Tcp, FlowState.Attempted),
            DestinationPiece(a, p, FlowProtocol.Tcp, FlowState.Rejected),
        }))];
        _publicFailurePieces = [.. PublicFailureTargets.SelectMany(a => new[]
        {
            DestinationPiece(a, PublicFailurePort, FlowProtocol.Tcp, FlowState.Attempted),
            DestinationPiece(a, PublicFailurePort, FlowProtocol.Tcp, FlowState.Rejected),
        })];
    }

    public IReadOnlyList<string> Names { get; }

    /// <summary>10.64.0.0/10-ish addresses for the workloads themselves: 10.(64 + i/65536).(i/256).(i%256).</summary>
    public static NetAddress WorkloadAddress(int index) =>
        NetAddress.FromV4(10, (byte)(64 + (index >> 16)), (byte)(index >> 8), (byte)index);

    /// <summary>A line writer with its own random state and timestamp cache; one per thread.</summary>
    public BatchWriter CreateWriter(ulong seed) => new(this, seed);

    /// <summary>Writes one sweep-completing batch: <paramref name="targets"/> distinct public addresses on one port, all failed, within the last second.</summary>
    public static void WriteSweep(IBufferWriter<byte> output, string workload, int targets, ushort port, long nowMs, Random random)
    {
        var offset = random.Next(254);
        for (var i = 0; i < targets; i++)
        {
            // 508 documentation addresses: 198.51.100.1-254 then 203.0.113.1-254.
            var n = (offset + i) % 508;
            var dst = n < 254 ? NetAddress.FromV4(198, 51, 100, (byte)(n + 1)) : NetAddress.FromV4(203, 0, 113, (byte)(n - 253));
            var flow = new FlowLine(nowMs - 1000 + i * 1000L / targets, workload, NetAddress.FromV4(10, 63, 0, 1), (ushort)(40000 + i),
                dst, port, FlowProtocol.Tcp, FlowState.Attempted, 60, 1);
            FlowLineWriter.Write(output, flow);
        }
    }

    private static byte[] DestinationPiece(NetAddress dst, ushort port, FlowProtocol protocol, FlowState state) => Encoding.UTF8.GetBytes(
        $",\"dst\":\"{dst}\",\"dport\":{port},\"proto\":\"{Encoding.UTF8.GetString(FlowLineWriter.ProtocolWord(protocol))}\"," +
        $"\"state\":\"{Encoding.UTF8.GetString(FlowLineWriter.StateWord(state))}\",\"bytes\":");

    /// <summary>Writes batches of lines; not thread-safe (it carries the random state and the last formatted timestamp).</summary>
    internal sealed class BatchWriter(SyntheticFlows flows, ulong seed)
    {
        private readonly byte[] _timestamp = new byte[FlowLineWriter.TimestampLength];
        private long _timestampMs = long.MinValue;
        private ulong _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

        /// <summary>Appends <paramref name="lines"/> lines with event times spread evenly over [<paramref name="startMs"/>, <paramref name="startMs"/> + <paramref name="spanMs"/>).</summary>
        public void Write(IBufferWriter<byte> output, int lines, long startMs, long spanMs)
        {
            var workloads = flows._workloadPieces.Length;
            for (var i = 0; i < lines; i++)
            {
                var timeMs = startMs + (spanMs * i / lines);
                if (timeMs != _timestampMs)
                {
                    FlowLineWriter.FormatTimestamp(timeMs, _timestamp);
                    _timestampMs = timeMs;
                }

                var r = Next();
                var workload = (int)((r >> 32) % (uint)workloads);
                var kind = (uint)r % 100;
                if (!flows._probing[workload]) kind %= 80;
                var p = Next();
                var pick = (uint)p;
                byte[] destination;
                long bytes, packets;
                if (kind < 80)
                {
                    destination = flows._establishedPieces[pick % (uint)flows._establishedPieces.Length];
                    packets = 4 + (pick & 0xFF);
                    bytes = packets * (80 + (pick >> 8) % 1400);
                }
                else if (kind < 95)
                {
                    // 2 entries per (target, port): attempted, rejected.
                    var target = (workload + (int)(pick % InternalFailurePool)) % InternalFailureTargets.Length;
                    var portAndState = (int)((pick >> 4) & 3);
                    destination = flows._internalFailurePieces[(target * InternalFailurePorts.Length * 2) + portAndState];
                    packets = 1 + ((pick >> 6) & 1);
                    bytes = 60 * packets;
                }
                else
                {
                    var target = (workload + (int)(pick % PublicFailurePool)) % PublicFailureTargets.Length;
                    destination = flows._publicFailurePieces[(target * 2) + (int)((pick >> 4) & 1)];
                    packets = 1;
                    bytes = 60;
                }

                var span = output.GetSpan(MaxLineLength);
                var n = 0;
                "{\"ts\":\""u8.CopyTo(span);
                n += 7;
                _timestamp.CopyTo(span[n..]);
                n += FlowLineWriter.TimestampLength;
                var workloadPiece = flows._workloadPieces[workload];
                workloadPiece.CopyTo(span[n..]);
                n += workloadPiece.Length;
                n += FlowLineWriter.FormatNumber(32768 + (uint)(p >> 40) % 28232, span[n..]);
                destination.CopyTo(span[n..]);
                n += destination.Length;
                n += FlowLineWriter.FormatNumber(bytes, span[n..]);
                ",\"packets\":"u8.CopyTo(span[n..]);
                n += 11;
                n += FlowLineWriter.FormatNumber(packets, span[n..]);
                span[n++] = (byte)'}';
                span[n++] = (byte)'\n';
                output.Advance(n);
            }
        }

        /// <summary>xorshift64*: a few instructions per line, and plenty for spreading synthetic traffic.</summary>
        private ulong Next()
        {
            _state ^= _state >> 12;
            _state ^= _state << 25;
            _state ^= _state >> 27;
            return _state * 0x2545F4914F6CDD1DUL;
        }
    }
}

using System.Buffers;
using System.Text;

namespace OrleansDetect.Client.Load;

/// <summary>
/// Steady synthetic traffic from N workloads: 80% established connections to shared services, 20% failed
/// connections to a small, fixed pool per workload (6 internal hosts × 2 ports, 3 public hosts on one port),
/// so no workload ever gets near a sweep (25) or scan (15) threshold however long the run.
/// </summary>
/// <remarks>
/// Who sends a line: N slots, slot s (0 the busiest) drawn with weight 1/(s + 1)^skew (Zipf; skew 0 is uniform, 1 gives
/// the busiest of 10,000 workloads ≈ 10% of the lines and the slowest half together ≈ 7%). Slot s holds workload
/// firstIndex + s until it is rotated out: after R replacements (<c>load --rotate</c>) slots 0, 1, … have each been
/// handed a fresh workload in turn, so the workloads seen so far are exactly firstIndex … firstIndex + N + R − 1 and a
/// replaced one never sends again. Nothing is kept per workload: a line's name and address are formatted from its
/// index (a few integer formats), the repeating pieces are rendered to UTF-8 once.
/// </remarks>
internal sealed class SyntheticFlows
{
    /// <summary>Longest line this generator writes (pieces are bounded by the address and name lengths used here).</summary>
    private const int MaxLineLength = 320;

    public const int MaxPrefixLength = 64;

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

    // {"ts":"<ts>","host":"<prefix><index>","src":"10.<a>.<b>.<c>","sport":<n>,"dst":"<a>","dport":<n>,"proto":"tcp","state":"<s>","bytes":<n>,"packets":<n>}
    private readonly string _namePrefix;
    private readonly byte[] _hostPiece;
    private readonly byte[][] _establishedPieces;
    /// <summary>Indexed [target][port][state]: internal failures.</summary>
    private readonly byte[][] _internalFailurePieces;
    /// <summary>Indexed [target][state]: public failures.</summary>
    private readonly byte[][] _publicFailurePieces;
    private readonly ZipfDistribution _slots;
    private readonly long _firstIndex;

    /// <summary>Whether a workload sends failed connections at all (<c>load --probing</c>): those whose index mod 100 is below it.</summary>
    private readonly int _probingPercent;

    /// <param name="workloads">Workloads sending at any one time (slots).</param>
    /// <param name="probingPercent">Share of the workloads (every one whose index mod 100 is below it) that send failed connections.</param>
    /// <param name="skew">Zipf exponent of the slots' shares of the lines; 0 = every workload alike.</param>
    /// <param name="firstIndex">Index of the first workload (<c>load --workload-offset</c>), so that runs can present fresh workloads.</param>
    public SyntheticFlows(int workloads, string namePrefix = "load-w", int probingPercent = 100, double skew = 0, long firstIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workloads, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(probingPercent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probingPercent, 100);
        ArgumentOutOfRangeException.ThrowIfNegative(firstIndex);
        if (namePrefix.Length > MaxPrefixLength || !namePrefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException($"workload name prefix must be at most {MaxPrefixLength} letters, digits, '-', '_' or '.'", nameof(namePrefix));
        }

        _probingPercent = probingPercent;
        _namePrefix = namePrefix;
        _firstIndex = firstIndex;
        _slots = new ZipfDistribution(workloads, skew);
        _hostPiece = Encoding.UTF8.GetBytes($"\",\"host\":\"{namePrefix}");
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

    /// <summary>Workloads sending at any one time.</summary>
    public int Workloads => _slots.Count;

    /// <summary>The name of workload <paramref name="index"/>.</summary>
    public string Name(long index) => $"{_namePrefix}{index}";

    /// <summary>The workload slot <paramref name="slot"/> holds after <paramref name="rotated"/> replacements (see the remarks).</summary>
    public long WorkloadIndex(int slot, long rotated)
    {
        var n = _slots.Count;
        return _firstIndex + slot + (long)n * ((rotated + n - 1 - slot) / n);
    }

    /// <summary>How many distinct workloads have sent (or been due to) after <paramref name="rotated"/> replacements.</summary>
    public long Presented(long rotated) => _slots.Count + rotated;

    private bool IsProbing(long index) => index % 100 < _probingPercent;

    /// <summary>10.64.0.0/10 addresses for the workloads themselves: 10.(64 + i/65536 mod 64).(i/256).(i%256); they repeat every 4,194,304 workloads.</summary>
    public static NetAddress WorkloadAddress(long index) =>
        NetAddress.FromV4(10, (byte)(64 + ((index >> 16) & 63)), (byte)(index >> 8), (byte)index);

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
        private LoadRandom _random = new(seed);

        /// <summary>
        /// Appends <paramref name="lines"/> lines with event times spread evenly over [<paramref name="startMs"/>,
        /// <paramref name="startMs"/> + <paramref name="spanMs"/>), from the workloads the slots hold after
        /// <paramref name="rotated"/> replacements.
        /// </summary>
        public void Write(IBufferWriter<byte> output, int lines, long startMs, long spanMs, long rotated = 0)
        {
            for (var i = 0; i < lines; i++)
            {
                var timeMs = startMs + (spanMs * i / lines);
                if (timeMs != _timestampMs)
                {
                    FlowLineWriter.FormatTimestamp(timeMs, _timestamp);
                    _timestampMs = timeMs;
                }

                var workload = flows.WorkloadIndex(flows._slots.Sample(ref _random), rotated);
                var kind = (uint)_random.Next() % 100;
                if (!flows.IsProbing(workload)) kind %= 80;
                var p = _random.Next();
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
                    var target = (int)((workload + (pick % InternalFailurePool)) % InternalFailureTargets.Length);
                    var portAndState = (int)((pick >> 4) & 3);
                    destination = flows._internalFailurePieces[(target * InternalFailurePorts.Length * 2) + portAndState];
                    packets = 1 + ((pick >> 6) & 1);
                    bytes = 60 * packets;
                }
                else
                {
                    var target = (int)((workload + (pick % PublicFailurePool)) % PublicFailureTargets.Length);
                    destination = flows._publicFailurePieces[(target * 2) + (int)((pick >> 4) & 1)];
                    packets = 1;
                    bytes = 60;
                }

                var span = output.GetSpan(MaxLineLength);
                var n = 0;
                Append(span, ref n, "{\"ts\":\""u8);
                Append(span, ref n, _timestamp);
                Append(span, ref n, flows._hostPiece);
                n += FlowLineWriter.FormatNumber(workload, span[n..]);
                Append(span, ref n, "\",\"src\":\""u8);
                n += FlowLineWriter.FormatAddress(WorkloadAddress(workload), span[n..]);
                Append(span, ref n, "\",\"sport\":"u8);
                n += FlowLineWriter.FormatNumber(32768 + (uint)(p >> 40) % 28232, span[n..]);
                Append(span, ref n, destination);
                n += FlowLineWriter.FormatNumber(bytes, span[n..]);
                Append(span, ref n, ",\"packets\":"u8);
                n += FlowLineWriter.FormatNumber(packets, span[n..]);
                span[n++] = (byte)'}';
                span[n++] = (byte)'\n';
                output.Advance(n);
            }
        }

        private static void Append(Span<byte> span, ref int n, ReadOnlySpan<byte> piece)
        {
            piece.CopyTo(span[n..]);
            n += piece.Length;
        }
    }
}

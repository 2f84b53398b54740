using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace OrleansDetect.Ingest.NetFlow;

/// <summary>What a data record's times are relative to.</summary>
internal struct ExportHeader
{
    public byte Version;
    public uint Domain;
    public long ExportMs;

    /// <summary>v9's sysUpTime at export (ms).</summary>
    public uint Uptime;
}

/// <summary>One record's values as read, before times are resolved.</summary>
internal struct RecordValues
{
    // The NTP era starts in 1900; IPFIX's micro/nanosecond timestamps count from there (RFC 7011 §6.1.9).
    private const long NtpToUnixSeconds = 2_208_988_800;

    private const long UptimeWrapMs = 1L << 32;

    public ExportedFlow Flow;
    public bool HasSrc;
    public bool HasDst;
    public bool HasReverse;
    public long TotalBytes;
    public long TotalPackets;
    public long StartAbsMs;
    public long EndAbsMs;
    public long StartUptime;
    public long EndUptime;
    public long StartDeltaUs;
    public long EndDeltaUs;
    public long PacketInterval;
    public long PacketSpace;
    public long SystemInitMs;

    public void Reset()
    {
        this = default;
        StartUptime = EndUptime = StartDeltaUs = EndDeltaUs = -1;
    }

    public void Apply(FieldKind kind, ReadOnlySpan<byte> value)
    {
        switch (kind)
        {
            case FieldKind.SrcV4:
                Flow.Src = NetAddress.FromV4(BinaryPrimitives.ReadUInt32BigEndian(value));
                HasSrc = true;
                break;
            case FieldKind.DstV4:
                Flow.Dst = NetAddress.FromV4(BinaryPrimitives.ReadUInt32BigEndian(value));
                HasDst = true;
                break;
            case FieldKind.SrcV6:
                Flow.Src = V6(value);
                HasSrc = true;
                break;
            case FieldKind.DstV6:
                Flow.Dst = V6(value);
                HasDst = true;
                break;
            case FieldKind.SrcPort:
                Flow.SrcPort = (ushort)Unsigned(value);
                break;
            case FieldKind.DstPort:
                Flow.DstPort = (ushort)Unsigned(value);
                break;
            case FieldKind.Protocol:
                Flow.Protocol = (byte)Unsigned(value);
                break;
            case FieldKind.TcpFlags:
                Flow.TcpFlags = (ushort)(Unsigned(value) & 0x1FF);
                break;
            case FieldKind.Bytes:
                Flow.Bytes = Counter(value);
                break;
            case FieldKind.Packets:
                Flow.Packets = Counter(value);
                break;
            case FieldKind.TotalBytes:
                TotalBytes = Counter(value);
                break;
            case FieldKind.TotalPackets:
                TotalPackets = Counter(value);
                break;
            case FieldKind.StartUptime:
                StartUptime = (uint)Unsigned(value);
                break;
            case FieldKind.EndUptime:
                EndUptime = (uint)Unsigned(value);
                break;
            case FieldKind.StartSeconds:
                StartAbsMs = Counter(value) * 1000;
                break;
            case FieldKind.EndSeconds:
                EndAbsMs = Counter(value) * 1000;
                break;
            case FieldKind.StartMilliseconds:
                StartAbsMs = Counter(value);
                break;
            case FieldKind.EndMilliseconds:
                EndAbsMs = Counter(value);
                break;
            case FieldKind.StartMicroseconds or FieldKind.StartNanoseconds:
                StartAbsMs = Ntp(value);
                break;
            case FieldKind.EndMicroseconds or FieldKind.EndNanoseconds:
                EndAbsMs = Ntp(value);
                break;
            case FieldKind.StartDeltaMicroseconds:
                StartDeltaUs = (uint)Unsigned(value);
                break;
            case FieldKind.EndDeltaMicroseconds:
                EndDeltaUs = (uint)Unsigned(value);
                break;
            case FieldKind.SamplingInterval:
                Flow.SamplingInterval = (uint)Math.Min(Unsigned(value), uint.MaxValue);
                break;
            case FieldKind.SamplingPacketInterval:
                PacketInterval = Counter(value);
                break;
            case FieldKind.SamplingPacketSpace:
                PacketSpace = Counter(value);
                break;
            case FieldKind.SystemInitMilliseconds:
                SystemInitMs = Counter(value);
                break;
            case FieldKind.ReverseBytes:
                Flow.ReverseBytes = Counter(value);
                HasReverse = true;
                break;
            case FieldKind.ReversePackets:
                Flow.ReversePackets = Counter(value);
                HasReverse = true;
                break;
            case FieldKind.ReverseTcpFlags:
                Flow.ReverseTcpFlags = (ushort)(Unsigned(value) & 0x1FF);
                HasReverse = true;
                break;
        }
    }

    /// <summary>1 in N from the record's own sampling fields (PSAMP's interval/space: N = (interval + space) / interval); 0 when it has none.</summary>
    public readonly uint Sampling()
    {
        if (Flow.SamplingInterval > 0) return Flow.SamplingInterval;
        if (PacketInterval > 0 && PacketSpace > 0) return (uint)Math.Min((PacketInterval + PacketSpace) / PacketInterval, uint.MaxValue);
        return 0;
    }

    /// <summary>
    /// An absolute time when the record has one; else uptime-relative: v9 against the header's sysUpTime and
    /// export time, IPFIX against the exporter's systemInitTimeMilliseconds (from its options records); else a
    /// delta before the export time; else the export time.
    /// </summary>
    public readonly long Time(long absMs, long uptime, long deltaUs, in ExportHeader header, ObservationDomain domain)
    {
        if (absMs > 0) return absMs;
        if (uptime >= 0) return UptimeTime((uint)uptime, header, domain);
        return deltaUs >= 0 ? header.ExportMs - (deltaUs / 1000) : header.ExportMs;
    }

    /// <summary>v9: against the header's sysUpTime; IPFIX: after the exporter's systemInitTimeMilliseconds, else the export time.</summary>
    public static long UptimeTime(uint uptime, in ExportHeader header, ObservationDomain domain)
    {
        if (header.Version == 9) return header.ExportMs - (int)(header.Uptime - uptime);
        if (domain.SystemInitMs <= 0) return header.ExportMs;

        // The 32-bit uptime wraps every 49.7 days: take the reading nearest the export time.
        var time = domain.SystemInitMs + uptime;
        var wraps = (long)Math.Round((header.ExportMs - time) / (double)UptimeWrapMs);
        return time + (wraps * UptimeWrapMs);
    }

    // An IPv4-mapped IPv6 address comes out as that IPv4 address: NetAddress holds IPv4 in the mapped form.
    private static NetAddress V6(ReadOnlySpan<byte> value) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(value), BinaryPrimitives.ReadUInt64BigEndian(value[8..]));

    /// <summary>A big-endian unsigned integer of 1–8 bytes (reduced-size encoding, RFC 7011 §6.2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Unsigned(ReadOnlySpan<byte> value) => value.Length switch
    {
        1 => value[0],
        2 => BinaryPrimitives.ReadUInt16BigEndian(value),
        4 => BinaryPrimitives.ReadUInt32BigEndian(value),
        8 => BinaryPrimitives.ReadUInt64BigEndian(value),
        _ => Slow(value),
    };

    private static ulong Slow(ReadOnlySpan<byte> value)
    {
        ulong result = 0;
        foreach (var b in value)
        {
            result = (result << 8) | b;
        }

        return result;
    }

    /// <summary>Counters and times as non-negative longs (a 64-bit counter past long.MaxValue is capped).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Counter(ReadOnlySpan<byte> value) => (long)Math.Min(Unsigned(value), long.MaxValue);

    private static long Ntp(ReadOnlySpan<byte> value)
    {
        long seconds = BinaryPrimitives.ReadUInt32BigEndian(value);
        long fraction = BinaryPrimitives.ReadUInt32BigEndian(value[4..]);
        return Math.Max(((seconds - NtpToUnixSeconds) * 1000) + ((fraction * 1000) >> 32), 0);
    }
}

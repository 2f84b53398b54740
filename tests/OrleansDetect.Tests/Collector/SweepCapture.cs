using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;

namespace OrleansDetect.Tests.Collector;

/// <summary>
/// Writes a small pcap for softflowd to read: a workload sweeping tcp/22 across 30 public addresses (every second
/// target refuses with RST|ACK, the rest stay silent), one HTTPS connection with data both ways and one DNS query
/// with its answer. Packets are stamped just before now, so the exported times land in the detection windows.
/// </summary>
internal static class SweepCapture
{
    public const int SweepTargets = 30;
    public const ushort SweepPort = 22;

    private static readonly PhysicalAddress Mac = PhysicalAddress.Parse("02-00-00-00-00-01");

    public static string TargetOf(int i, bool ipv6 = false) => ipv6 ? $"2001:db8:100::{i + 1:x}" : $"198.51.100.{i + 1}";

    /// <summary>With an IPv6 <paramref name="prober"/>, every address is IPv6 (documentation prefix 2001:db8::/32, public to the detectors).</summary>
    /// <param name="targets">How many addresses the sweep probes (at most 254).</param>
    /// <param name="refusals">Whether every second target answers with RST|ACK (else every probe goes unanswered).</param>
    public static void Write(string path, string prober, DateTimeOffset start, int targets = SweepTargets, bool refusals = true)
    {
        var ipv6 = prober.Contains(':', StringComparison.Ordinal);
        using var file = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65_535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1); // Ethernet
        file.Write(header);

        var time = start;
        void Emit(Packet packet)
        {
            var bytes = packet.Bytes;
            Span<byte> record = stackalloc byte[16];
            var micros = time.ToUnixTimeMilliseconds() * 1000;
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(micros / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(micros % 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)bytes.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)bytes.Length);
            file.Write(record);
            file.Write(bytes);
            time = time.AddMilliseconds(10);
        }

        for (var i = 0; i < targets; i++)
        {
            Emit(Tcp(prober, (ushort)(40_000 + i), TargetOf(i, ipv6), SweepPort, syn: true));
            if (refusals && i % 2 == 0)
            {
                Emit(Tcp(TargetOf(i, ipv6), SweepPort, prober, (ushort)(40_000 + i), rst: true, ack: true));
            }
        }

        var web = ipv6 ? "2001:db8:443::9" : "203.0.113.9";
        Emit(Tcp(prober, 50_000, web, 443, syn: true));
        Emit(Tcp(web, 443, prober, 50_000, syn: true, ack: true));
        Emit(Tcp(prober, 50_000, web, 443, ack: true));
        Emit(Tcp(prober, 50_000, web, 443, ack: true, push: true, payload: 300));
        Emit(Tcp(web, 443, prober, 50_000, ack: true, push: true, payload: 1200));

        var resolver = ipv6 ? "2001:db8:53::53" : "192.0.2.53";
        Emit(Udp(prober, 51_000, resolver, 53, 40));
        Emit(Udp(resolver, 53, prober, 51_000, 120));
    }

    private static EthernetPacket Tcp(string src, ushort sport, string dst, ushort dport,
        bool syn = false, bool ack = false, bool rst = false, bool push = false, int payload = 0)
    {
        var tcp = new TcpPacket(sport, dport)
        {
            Synchronize = syn,
            Acknowledgment = ack,
            Reset = rst,
            Push = push,
            WindowSize = 64_240,
            SequenceNumber = 1000,
            AcknowledgmentNumber = ack ? 1u : 0u,
        };
        if (payload > 0) tcp.PayloadData = new byte[payload];
        return Frame(src, dst, tcp, () => tcp.UpdateTcpChecksum());
    }

    private static EthernetPacket Udp(string src, ushort sport, string dst, ushort dport, int payload)
    {
        var udp = new UdpPacket(sport, dport) { PayloadData = new byte[payload] };
        return Frame(src, dst, udp, () => udp.UpdateUdpChecksum());
    }

    private static EthernetPacket Frame(string src, string dst, Packet transport, Action updateChecksum)
    {
        if (src.Contains(':', StringComparison.Ordinal))
        {
            var ip6 = new IPv6Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { HopLimit = 64, PayloadPacket = transport };
            updateChecksum();
            return new EthernetPacket(Mac, Mac, EthernetType.IPv6) { PayloadPacket = ip6 };
        }

        var ip = new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { TimeToLive = 64, PayloadPacket = transport };
        updateChecksum();
        ip.UpdateIPChecksum();
        return new EthernetPacket(Mac, Mac, EthernetType.IPv4) { PayloadPacket = ip };
    }
}

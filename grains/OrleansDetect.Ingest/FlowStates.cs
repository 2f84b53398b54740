using System.Text;

namespace OrleansDetect.Ingest;

/// <summary>The <c>state</c> and <c>flags</c> vocabularies, and what to assume when a flow says neither.</summary>
internal static class FlowStates
{
    private const int Fin = 0x01;
    private const int Syn = 0x02;
    private const int Rst = 0x04;
    private const int Psh = 0x08;
    private const int Ack = 0x10;
    private const int Urg = 0x20;
    private const int Ece = 0x40;
    private const int Cwr = 0x80;
    private const int Ns = 0x100;

    /// <summary>Largest average TCP packet (bytes) that still looks like bare SYNs and retransmits: 40-byte headers plus options, no payload.</summary>
    private const long TcpProbeBytesPerPacket = 100;

    /// <summary>
    /// Our own names (any case) and Zeek's <c>conn_state</c> codes, since real captures come from Zeek's conn.log.
    /// Attempted (no handshake ever completed, nobody refused): S0 (SYN, no reply), SH (SYN then FIN, no SYN-ACK),
    /// SHR (a SYN-ACK then FIN, no SYN seen), RSTOS0 (the originator gave up with a RST before any SYN-ACK: the RST
    /// is its own, not a refusal). Rejected: REJ (SYN answered by RST), RSTRH (the responder's SYN-ACK then its RST).
    /// Established: SF, S1, S2, S3, RSTO, RSTR (a handshake completed), and OTH: midstream traffic with no SYN seen,
    /// which Zeek also reports for ordinary ICMP and for connections older than the capture; counting it as failed
    /// would turn long-lived traffic into probes.
    /// </summary>
    public static bool TryParseState(ReadOnlySpan<byte> text, out FlowState state)
    {
        state = text.Length switch
        {
            2 when Ascii.EqualsIgnoreCase(text, "S0"u8) || Ascii.EqualsIgnoreCase(text, "SH"u8) => FlowState.Attempted,
            2 when Ascii.EqualsIgnoreCase(text, "SF"u8) || Ascii.EqualsIgnoreCase(text, "S1"u8)
                || Ascii.EqualsIgnoreCase(text, "S2"u8) || Ascii.EqualsIgnoreCase(text, "S3"u8) => FlowState.Established,
            3 when Ascii.EqualsIgnoreCase(text, "SHR"u8) => FlowState.Attempted,
            3 when Ascii.EqualsIgnoreCase(text, "REJ"u8) => FlowState.Rejected,
            3 when Ascii.EqualsIgnoreCase(text, "OTH"u8) => FlowState.Established,
            4 when Ascii.EqualsIgnoreCase(text, "RSTO"u8) || Ascii.EqualsIgnoreCase(text, "RSTR"u8) => FlowState.Established,
            5 when Ascii.EqualsIgnoreCase(text, "RSTRH"u8) => FlowState.Rejected,
            6 when Ascii.EqualsIgnoreCase(text, "RSTOS0"u8) => FlowState.Attempted,
            8 when Ascii.EqualsIgnoreCase(text, "rejected"u8) => FlowState.Rejected,
            9 when Ascii.EqualsIgnoreCase(text, "attempted"u8) => FlowState.Attempted,
            11 when Ascii.EqualsIgnoreCase(text, "established"u8) => FlowState.Established,
            _ => 0,
        };
        return state != 0;
    }

    /// <summary><c>tcp</c>, <c>udp</c>, <c>icmp</c>, and ICMPv6's usual spellings (any case).</summary>
    public static bool TryParseProtocol(ReadOnlySpan<byte> text, out FlowProtocol protocol)
    {
        protocol = text.Length switch
        {
            3 when Ascii.EqualsIgnoreCase(text, "tcp"u8) => FlowProtocol.Tcp,
            3 when Ascii.EqualsIgnoreCase(text, "udp"u8) => FlowProtocol.Udp,
            4 when Ascii.EqualsIgnoreCase(text, "icmp"u8) => FlowProtocol.Icmp,
            5 when Ascii.EqualsIgnoreCase(text, "icmp6"u8) => FlowProtocol.Icmp,
            6 when Ascii.EqualsIgnoreCase(text, "icmpv6"u8) => FlowProtocol.Icmp,
            9 when Ascii.EqualsIgnoreCase(text, "ipv6-icmp"u8) => FlowProtocol.Icmp,
            _ => 0,
        };
        return protocol != 0;
    }

    /// <summary>IANA protocol numbers: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6.</summary>
    public static bool TryParseProtocol(long number, out FlowProtocol protocol)
    {
        protocol = number switch
        {
            6 => FlowProtocol.Tcp,
            17 => FlowProtocol.Udp,
            1 or 58 => FlowProtocol.Icmp,
            _ => 0,
        };
        return protocol != 0;
    }

    /// <summary>
    /// TCP flags as letters, the union over the flow as NetFlow and nfdump print them ("S", "SA", "RA", "FPA"; any case;
    /// '.' is nfdump's placeholder for an unset flag and is skipped).
    /// </summary>
    public static bool TryParseFlags(ReadOnlySpan<byte> text, out int flags)
    {
        flags = 0;
        foreach (var c in text)
        {
            flags |= (c | 0x20) switch
            {
                'f' => Fin,
                's' => Syn,
                'r' => Rst,
                'p' => Psh,
                'a' => Ack,
                'u' => Urg,
                'e' => Ece,
                'c' => Cwr,
                'n' => Ns,
                _ when c == '.' => 0,
                _ => -1,
            };

            if (flags < 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The state of a flow that did not say. Flags decide for TCP: a reset that carried no data was refused;
    /// a SYN never acknowledged was not answered; anything else got through. Without flags, tiny flows are probes:
    /// TCP with at most 3 packets averaging at most 100 bytes (SYN and its retransmits, no payload), UDP with at most
    /// 2 packets and 256 bytes; ICMP counts as established.
    /// </summary>
    /// <remarks>
    /// When a flow carries no flags and no non-zero counters, its outcome is unknown and it counts as
    /// <see cref="FlowState.Established"/>. Sweeps and scans count only failed attempts, so guessing "attempted" would
    /// turn every agent that sends bare 5-tuples into a source of false sweep alerts; missing a probe from such an agent
    /// is the lesser harm. Zero packets and zero bytes are read the same way: every real flow has at least one packet,
    /// so zeros mean the exporter did not count.
    /// </remarks>
    /// <param name="flags">TCP flag bits, or -1 when the flow gave none.</param>
    /// <param name="bytes">Byte count, 0 when absent.</param>
    /// <param name="packets">Packet count, 0 when absent.</param>
    public static FlowState Infer(FlowProtocol protocol, int flags, long bytes, long packets)
    {
        if (protocol == FlowProtocol.Tcp && flags >= 0)
        {
            var carriedData = (flags & Psh) != 0 || (packets > 0 && bytes > packets * TcpProbeBytesPerPacket);
            if ((flags & Rst) != 0 && !carriedData)
            {
                return FlowState.Rejected;
            }

            return (flags & (Syn | Ack)) == Syn ? FlowState.Attempted : FlowState.Established;
        }

        if (packets <= 0 && bytes <= 0)
        {
            return FlowState.Established;
        }

        // A flow that gave bytes but no packet count is taken as a single packet.
        var packetCount = Math.Max(packets, 1);
        return protocol switch
        {
            FlowProtocol.Tcp when packetCount <= 3 && bytes <= packetCount * TcpProbeBytesPerPacket => FlowState.Attempted,
            FlowProtocol.Udp when packetCount <= 2 && bytes <= 2 * 128 => FlowState.Attempted,
            _ => FlowState.Established,
        };
    }
}

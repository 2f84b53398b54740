namespace OrleansDetect.Ingest.NetFlow;

/// <summary>The information elements the decoder reads; every other field is stepped over by its length.</summary>
internal enum FieldKind : byte
{
    /// <summary>A field the decoder does not read (enterprise, variable-length, or one it has no use for).</summary>
    Unread,
    SrcV4,
    DstV4,
    SrcV6,
    DstV6,
    SrcPort,
    DstPort,
    Protocol,
    TcpFlags,
    Bytes,
    Packets,
    TotalBytes,
    TotalPackets,
    StartUptime,
    EndUptime,
    StartSeconds,
    EndSeconds,
    StartMilliseconds,
    EndMilliseconds,
    StartMicroseconds,
    EndMicroseconds,
    StartNanoseconds,
    EndNanoseconds,
    StartDeltaMicroseconds,
    EndDeltaMicroseconds,
    SamplingInterval,
    SamplingPacketInterval,
    SamplingPacketSpace,
    SystemInitMilliseconds,
    ReverseBytes,
    ReversePackets,
    ReverseTcpFlags,
}

/// <summary>One field of a template: what it holds and how long it is (<see cref="FlowTemplate.VariableLength"/> for RFC 7011 §7 variable-length).</summary>
internal readonly record struct TemplateField(FieldKind Kind, ushort Length);

/// <summary>A field the decoder reads, at a fixed offset in every record of a fixed-length template.</summary>
internal readonly record struct FieldAt(FieldKind Kind, ushort Offset, ushort Length);

/// <summary>
/// A v9 or IPFIX (options) template as received, compiled for decoding: a fixed-length template keeps only the fields
/// it reads, with their offsets, so a record costs one pass over those few fields.
/// </summary>
internal sealed class FlowTemplate
{
    public const ushort VariableLength = 65535;

    /// <summary>RFC 5103's private enterprise number: its fields are the reverse direction's values of the same IEs.</summary>
    public const uint ReversePen = 29305;

    private FlowTemplate(bool isOptions, byte[] definition, TemplateField[] fields, FieldAt[] read, int fixedLength, int minLength)
    {
        Layout = fixedLength > 0 && !isOptions ? new FixedLayout(read) : null;
        IsOptions = isOptions;
        Definition = definition;
        Fields = fields;
        Read = read;
        FixedLength = fixedLength;
        MinLength = minLength;
    }

    public bool IsOptions { get; }

    /// <summary>The template record's bytes, to tell a refresh of the same definition from a new one without re-compiling.</summary>
    public byte[] Definition { get; }

    public TemplateField[] Fields { get; }

    /// <summary>The fields read, with offsets: only for fixed-length templates.</summary>
    public FieldAt[] Read { get; }

    /// <summary>For a fixed-length data template: where the fields every flow has are, read without a dispatch per field.</summary>
    public FixedLayout? Layout { get; }

    /// <summary>Record length in bytes, or -1 when a field is variable-length.</summary>
    public int FixedLength { get; }

    /// <summary>The fewest bytes a record can take (each variable-length field at least its 1-byte length).</summary>
    public int MinLength { get; }

    /// <summary>Receive time (Unix ms) of the last definition or refresh: a template not refreshed within the lifetime expires.</summary>
    public long RefreshedMs { get; set; }

    public static FlowTemplate Create(bool isOptions, ReadOnlySpan<byte> definition, TemplateField[] fields)
    {
        var fixedLength = 0;
        var minLength = 0;
        var readCount = 0;
        foreach (var field in fields)
        {
            if (field.Length == VariableLength)
            {
                fixedLength = -1;
                minLength += 1;
            }
            else
            {
                minLength += field.Length;
                if (fixedLength >= 0) fixedLength += field.Length;
            }

            if (field.Kind != FieldKind.Unread) readCount++;
        }

        var read = Array.Empty<FieldAt>();
        if (fixedLength >= 0)
        {
            read = new FieldAt[readCount];
            var offset = 0;
            var r = 0;
            foreach (var field in fields)
            {
                if (field.Kind != FieldKind.Unread) read[r++] = new FieldAt(field.Kind, (ushort)offset, field.Length);
                offset += field.Length;
            }
        }

        return new FlowTemplate(isOptions, definition.ToArray(), fields, read, fixedLength, minLength);
    }

    /// <summary>
    /// What an information element is to the decoder. A field whose length cannot hold what the element means (an
    /// address that is not 4 or 16 bytes, a counter over 8) is skipped rather than misread.
    /// </summary>
    public static FieldKind KindOf(ushort element, uint enterprise, ushort length)
    {
        if (length == VariableLength) return FieldKind.Unread;
        var kind = enterprise switch
        {
            0 => element switch
            {
                8 => FieldKind.SrcV4,
                12 => FieldKind.DstV4,
                27 => FieldKind.SrcV6,
                28 => FieldKind.DstV6,
                7 => FieldKind.SrcPort,
                11 => FieldKind.DstPort,
                4 => FieldKind.Protocol,
                6 => FieldKind.TcpFlags,
                1 => FieldKind.Bytes,
                2 => FieldKind.Packets,
                85 => FieldKind.TotalBytes,
                86 => FieldKind.TotalPackets,
                22 => FieldKind.StartUptime,
                21 => FieldKind.EndUptime,
                150 => FieldKind.StartSeconds,
                151 => FieldKind.EndSeconds,
                152 => FieldKind.StartMilliseconds,
                153 => FieldKind.EndMilliseconds,
                154 => FieldKind.StartMicroseconds,
                155 => FieldKind.EndMicroseconds,
                156 => FieldKind.StartNanoseconds,
                157 => FieldKind.EndNanoseconds,
                158 => FieldKind.StartDeltaMicroseconds,
                159 => FieldKind.EndDeltaMicroseconds,
                // samplingInterval (34) and samplerRandomInterval (50): "1 out of N".
                34 or 50 => FieldKind.SamplingInterval,
                305 => FieldKind.SamplingPacketInterval,
                306 => FieldKind.SamplingPacketSpace,
                160 => FieldKind.SystemInitMilliseconds,
                _ => FieldKind.Unread,
            },
            ReversePen => element switch
            {
                1 or 85 => FieldKind.ReverseBytes,
                2 or 86 => FieldKind.ReversePackets,
                6 => FieldKind.ReverseTcpFlags,
                _ => FieldKind.Unread,
            },
            _ => FieldKind.Unread,
        };

        var fits = kind switch
        {
            FieldKind.Unread => true,
            FieldKind.SrcV4 or FieldKind.DstV4 => length == 4,
            FieldKind.SrcV6 or FieldKind.DstV6 => length == 16,
            FieldKind.StartMicroseconds or FieldKind.EndMicroseconds or FieldKind.StartNanoseconds or FieldKind.EndNanoseconds => length == 8,
            _ => length is >= 1 and <= 8,
        };
        return fits ? kind : FieldKind.Unread;
    }
}

/// <summary>
/// The offsets of the fields nearly every flow template has (addresses, ports, protocol, flags, counters, start and
/// end as uptime, seconds or milliseconds), so a record reads them straight into its output slot; a template with
/// anything more (<see cref="Other"/>: sampling, reverse counters, …) takes the general path. A length of 0 means absent.
/// </summary>
internal sealed class FixedLayout
{
    public FixedLayout(FieldAt[] read)
    {
        var other = new List<FieldAt>();
        foreach (var field in read)
        {
            switch (field.Kind)
            {
                case FieldKind.SrcV4 or FieldKind.SrcV6: Src = field; break;
                case FieldKind.DstV4 or FieldKind.DstV6: Dst = field; break;
                case FieldKind.SrcPort: SrcPort = field; break;
                case FieldKind.DstPort: DstPort = field; break;
                case FieldKind.Protocol: Protocol = field; break;
                case FieldKind.TcpFlags: TcpFlags = field; break;
                case FieldKind.Bytes: Bytes = field; break;
                case FieldKind.Packets: Packets = field; break;
                case FieldKind.StartUptime or FieldKind.StartSeconds or FieldKind.StartMilliseconds: Start = field; break;
                case FieldKind.EndUptime or FieldKind.EndSeconds or FieldKind.EndMilliseconds: End = field; break;
                default: other.Add(field); break;
            }
        }

        Other = [.. other];
    }

    public readonly FieldAt Src;
    public readonly FieldAt Dst;
    public readonly FieldAt SrcPort;
    public readonly FieldAt DstPort;
    public readonly FieldAt Protocol;
    public readonly FieldAt TcpFlags;
    public readonly FieldAt Bytes;
    public readonly FieldAt Packets;
    public readonly FieldAt Start;
    public readonly FieldAt End;
    public readonly FieldAt[] Other;
}

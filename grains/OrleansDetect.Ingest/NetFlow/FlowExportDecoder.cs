using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace OrleansDetect.Ingest.NetFlow;

/// <summary>
/// Decodes NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) datagrams into <see cref="ExportedFlow"/> records.
/// Templates are kept per (exporter address, source id / observation domain, template id), per protocol version.
/// Every length, count and offset is checked against the datagram: a malformed datagram is dropped and counted for its
/// exporter, never thrown. Not thread-safe: one receive loop owns a decoder.
/// </summary>
public sealed class FlowExportDecoder(FlowDecoderOptions options)
{
    private const int V5HeaderLength = 24;
    private const int V5RecordLength = 48;
    private const int V5MaxRecords = 30;
    private const int V9HeaderLength = 20;
    private const int IpfixHeaderLength = 16;


    private readonly Dictionary<NetAddress, ExporterState> _exporters = [];
    private readonly long _templateLifetimeMs = (long)options.TemplateLifetime.TotalMilliseconds;
    private readonly long _templateWaitMs = (long)options.TemplateWait.TotalMilliseconds;

    public FlowExportDecoder()
        : this(new FlowDecoderOptions())
    {
    }

    public IEnumerable<ExporterStatistics> Exporters => _exporters.Values.Select(e => e.Stats);

    /// <summary>Sequence loss over every exporter (see <see cref="ExporterStatistics.SequenceLost"/>).</summary>
    public long SequenceLost { get; private set; }

    /// <summary>Templates held over every exporter.</summary>
    public int Templates { get; private set; }

    /// <summary>
    /// Decodes one datagram from <paramref name="exporter"/>, appending its flow records to <paramref name="output"/>;
    /// records of held data whose template this datagram brings are appended too. Returns why the datagram was
    /// dropped (its records are then not appended), or <see cref="DatagramDrop.None"/>.
    /// </summary>
    public DatagramDrop Decode(ReadOnlySpan<byte> datagram, NetAddress exporter, long receivedMs, ExportedFlowBuffer output)
    {
        if (!_exporters.TryGetValue(exporter, out var state))
        {
            if (_exporters.Count >= options.MaxExporters)
            {
                return DatagramDrop.TemplateLimit;
            }

            state = new ExporterState(exporter);
            _exporters.Add(exporter, state);
        }

        var stats = state.Stats;
        stats.Datagrams++;
        stats.LastSeenMs = receivedMs;
        if (state.Held.Count > 0)
        {
            ExpireHeld(state, receivedMs);
        }

        var start = output.Count;
        var drop = datagram.Length < 2 ? DatagramDrop.Truncated : BinaryPrimitives.ReadUInt16BigEndian(datagram) switch
        {
            5 => DecodeV5(datagram, state, output),
            9 => DecodeTemplated(datagram, 9, state, receivedMs, output),
            10 => DecodeTemplated(datagram, 10, state, receivedMs, output),
            _ => DatagramDrop.UnknownVersion,
        };

        if (drop != DatagramDrop.None)
        {
            output.Truncate(start);
            stats.Drop(drop);
        }
        else
        {
            stats.Records += output.Count - start;
            for (var i = start; i < output.Count; i++)
            {
                output[i].Exporter = exporter;
            }
        }

        Templates += state.Templates.Count - stats.Templates;
        stats.Templates = state.Templates.Count;
        stats.HeldSets = state.Held.Count;
        return drop;
    }

    /// <summary>Drops (and counts) held data whose template did not come in time; call now and then when no datagram arrives.</summary>
    public void ExpireHeld(long nowMs)
    {
        foreach (var state in _exporters.Values)
        {
            if (state.Held.Count > 0)
            {
                ExpireHeld(state, nowMs);
                state.Stats.HeldSets = state.Held.Count;
            }
        }
    }

    private DatagramDrop DecodeV5(ReadOnlySpan<byte> d, ExporterState state, ExportedFlowBuffer output)
    {
        if (d.Length < V5HeaderLength)
        {
            return DatagramDrop.Truncated;
        }

        int count = BinaryPrimitives.ReadUInt16BigEndian(d[2..]);
        if (count is 0 or > V5MaxRecords)
        {
            return DatagramDrop.Malformed;
        }

        if (d.Length < V5HeaderLength + (count * V5RecordLength))
        {
            return DatagramDrop.Truncated;
        }

        var uptime = BinaryPrimitives.ReadUInt32BigEndian(d[4..]);
        var exportMs = (BinaryPrimitives.ReadUInt32BigEndian(d[8..]) * 1000L) + (BinaryPrimitives.ReadUInt32BigEndian(d[12..]) / 1_000_000);
        var sequence = BinaryPrimitives.ReadUInt32BigEndian(d[16..]);

        // The low 14 bits are the interval, the top two the sampling mode (0: none).
        var samplingField = BinaryPrimitives.ReadUInt16BigEndian(d[22..]);
        var sampling = (samplingField >> 14) != 0 && (samplingField & 0x3FFF) > 1 ? (uint)(samplingField & 0x3FFF) : 1u;

        if (state.Domain(new DomainKey(5, d[20] | ((uint)d[21] << 8)), out var domain) is { } limit)
        {
            return limit;
        }

        for (var i = 0; i < count; i++)
        {
            var r = d.Slice(V5HeaderLength + (i * V5RecordLength), V5RecordLength);
            ref var flow = ref output.Add();
            flow.Src = NetAddress.FromV4(BinaryPrimitives.ReadUInt32BigEndian(r));
            flow.Dst = NetAddress.FromV4(BinaryPrimitives.ReadUInt32BigEndian(r[4..]));
            flow.Packets = BinaryPrimitives.ReadUInt32BigEndian(r[16..]);
            flow.Bytes = BinaryPrimitives.ReadUInt32BigEndian(r[20..]);
            flow.StartMs = exportMs - (int)(uptime - BinaryPrimitives.ReadUInt32BigEndian(r[24..]));
            flow.EndMs = exportMs - (int)(uptime - BinaryPrimitives.ReadUInt32BigEndian(r[28..]));
            flow.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(r[32..]);
            flow.DstPort = BinaryPrimitives.ReadUInt16BigEndian(r[34..]);
            flow.TcpFlags = r[37];
            flow.Protocol = r[38];
            flow.SamplingInterval = sampling;
        }

        // v5 counts flows: the sequence is the number of flows the exporter sent before this datagram.
        var lost = domain.Sequence.Observe(sequence, (uint)count);
        state.Stats.SequenceLost += lost;
        SequenceLost += lost;
        return DatagramDrop.None;
    }

    /// <summary>v9 and IPFIX: a header, then sets of templates, options templates and data.</summary>
    private DatagramDrop DecodeTemplated(ReadOnlySpan<byte> d, byte version, ExporterState state, long receivedMs, ExportedFlowBuffer output)
    {
        var header = new ExportHeader { Version = version };
        uint sequence;
        ReadOnlySpan<byte> sets;
        if (version == 9)
        {
            if (d.Length < V9HeaderLength)
            {
                return DatagramDrop.Truncated;
            }

            header.Uptime = BinaryPrimitives.ReadUInt32BigEndian(d[4..]);
            header.ExportMs = BinaryPrimitives.ReadUInt32BigEndian(d[8..]) * 1000L;
            sequence = BinaryPrimitives.ReadUInt32BigEndian(d[12..]);
            header.Domain = BinaryPrimitives.ReadUInt32BigEndian(d[16..]);
            sets = d[V9HeaderLength..];
        }
        else
        {
            if (d.Length < IpfixHeaderLength)
            {
                return DatagramDrop.Truncated;
            }

            // One message per datagram; bytes after the message's own length are not part of it.
            int length = BinaryPrimitives.ReadUInt16BigEndian(d[2..]);
            if (length < IpfixHeaderLength)
            {
                return DatagramDrop.Malformed;
            }

            if (length > d.Length)
            {
                return DatagramDrop.Truncated;
            }

            header.ExportMs = BinaryPrimitives.ReadUInt32BigEndian(d[4..]) * 1000L;
            sequence = BinaryPrimitives.ReadUInt32BigEndian(d[8..]);
            header.Domain = BinaryPrimitives.ReadUInt32BigEndian(d[12..]);
            sets = d[IpfixHeaderLength..length];
        }

        if (state.Domain(new DomainKey(version, header.Domain), out var domain) is { } limit)
        {
            return limit;
        }

        var dataRecords = 0;
        var recordsKnown = true;
        while (sets.Length >= 4)
        {
            var setId = BinaryPrimitives.ReadUInt16BigEndian(sets);
            int setLength = BinaryPrimitives.ReadUInt16BigEndian(sets[2..]);
            if (setLength < 4)
            {
                return DatagramDrop.Malformed;
            }

            if (setLength > sets.Length)
            {
                return DatagramDrop.Truncated;
            }

            var body = sets[4..setLength];
            sets = sets[setLength..];
            var drop = DatagramDrop.None;
            if (setId == (version == 9 ? 0 : 2))
            {
                drop = ReadTemplates(body, isOptions: false, header, state, domain, receivedMs, output);
            }
            else if (setId == (version == 9 ? 1 : 3))
            {
                drop = ReadTemplates(body, isOptions: true, header, state, domain, receivedMs, output);
            }
            else if (setId >= 256)
            {
                var key = new TemplateKey(version, header.Domain, setId);
                if (state.Template(key, receivedMs, _templateLifetimeMs) is { } template)
                {
                    drop = DecodeData(body, template, header, domain, output, out var records);
                    dataRecords += records;
                }
                else
                {
                    recordsKnown = false;
                    Hold(state, key, header, body, receivedMs);
                }
            }

            if (drop != DatagramDrop.None)
            {
                return drop;
            }
        }

        // v9 counts export packets; IPFIX counts data records, which templates do not add to (RFC 7011 §3.1), so a
        // message with data we could not read yet leaves the next number unknown.
        var lost = domain.Sequence.Observe(sequence, version == 9 ? 1u : (uint)dataRecords);
        state.Stats.SequenceLost += lost;
        SequenceLost += lost;
        if (version == 10 && !recordsKnown)
        {
            domain.Sequence.Forget();
        }

        return DatagramDrop.None;
    }

    /// <summary>
    /// A template or options template set. A definition replaces an older one under the same id (an identical one
    /// only refreshes its time); field count 0 withdraws one, and ids 2 / 3 with count 0 withdraw every data / options
    /// template of the domain (RFC 7011 §8.1).
    /// </summary>
    private DatagramDrop ReadTemplates(
        ReadOnlySpan<byte> body, bool isOptions, in ExportHeader header, ExporterState state, ObservationDomain domain, long receivedMs, ExportedFlowBuffer output)
    {
        var ipfix = header.Version == 10;
        while (body.Length >= 4)
        {
            var id = BinaryPrimitives.ReadUInt16BigEndian(body);
            int fieldCount;
            int scopeCount = 0;
            int position;
            if (isOptions && !ipfix)
            {
                // v9 options template: scope and option lengths in bytes, 4 bytes per field.
                if (body.Length < 6)
                {
                    return DatagramDrop.Truncated;
                }

                int scopeBytes = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
                int optionBytes = BinaryPrimitives.ReadUInt16BigEndian(body[4..]);
                if (scopeBytes % 4 != 0 || optionBytes % 4 != 0)
                {
                    return DatagramDrop.Malformed;
                }

                fieldCount = (scopeBytes + optionBytes) / 4;
                scopeCount = scopeBytes / 4;
                position = 6;
            }
            else
            {
                fieldCount = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
                position = 4;
                if (isOptions && fieldCount > 0)
                {
                    if (body.Length < 6)
                    {
                        return DatagramDrop.Truncated;
                    }

                    scopeCount = BinaryPrimitives.ReadUInt16BigEndian(body[4..]);
                    if (scopeCount == 0 || scopeCount > fieldCount)
                    {
                        return DatagramDrop.Malformed;
                    }

                    position = 6;
                }
            }

            if (fieldCount == 0)
            {
                if (id == (isOptions ? 3 : 2))
                {
                    state.WithdrawAll(header.Version, header.Domain, isOptions);
                }
                else if (id >= 256)
                {
                    state.Withdraw(new TemplateKey(header.Version, header.Domain, id));
                }
                else
                {
                    return DatagramDrop.Malformed;
                }

                body = body[position..];
                continue;
            }

            if (id < 256)
            {
                return DatagramDrop.Malformed;
            }

            // First pass: find the definition's end, checking every field fits.
            var fieldsStart = position;
            for (var f = 0; f < fieldCount; f++)
            {
                if (body.Length < position + 4)
                {
                    return DatagramDrop.Truncated;
                }

                var element = BinaryPrimitives.ReadUInt16BigEndian(body[position..]);
                position += 4;
                if (ipfix && (element & 0x8000) != 0)
                {
                    if (body.Length < position + 4)
                    {
                        return DatagramDrop.Truncated;
                    }

                    position += 4;
                }
            }

            var definition = body[..position];
            body = body[position..];
            var key = new TemplateKey(header.Version, header.Domain, id);
            if (state.Templates.TryGetValue(key, out var existing) && existing.IsOptions == isOptions && existing.Definition.AsSpan().SequenceEqual(definition))
            {
                existing.RefreshedMs = receivedMs;
                continue;
            }

            var fields = new TemplateField[fieldCount];
            var p = fieldsStart;
            for (var f = 0; f < fieldCount; f++)
            {
                var element = BinaryPrimitives.ReadUInt16BigEndian(definition[p..]);
                var length = BinaryPrimitives.ReadUInt16BigEndian(definition[(p + 2)..]);
                p += 4;
                uint enterprise = 0;
                if (ipfix && (element & 0x8000) != 0)
                {
                    enterprise = BinaryPrimitives.ReadUInt32BigEndian(definition[p..]);
                    element &= 0x7FFF;
                    p += 4;
                }

                // Scope fields only say what an options record is about (the exporter, an interface): never read as values.
                var kind = f < scopeCount ? FieldKind.Unread : FlowTemplate.KindOf(element, enterprise, length);
                fields[f] = new TemplateField(kind, length);
            }

            var template = FlowTemplate.Create(isOptions, definition, fields);
            if (template.MinLength == 0)
            {
                return DatagramDrop.Malformed;
            }

            template.RefreshedMs = receivedMs;
            if (!state.Store(key, template, options.MaxTemplatesPerExporter, receivedMs, _templateLifetimeMs))
            {
                state.Stats.Drop(DatagramDrop.TemplateLimit);
                continue;
            }

            DecodeHeld(state, key, template, domain, output);
        }

        return DatagramDrop.None;
    }

    /// <summary>The records of one data set; options records update the domain's sampling and start time instead of producing flows.</summary>
    private static DatagramDrop DecodeData(
        ReadOnlySpan<byte> body, FlowTemplate template, in ExportHeader header, ObservationDomain domain, ExportedFlowBuffer output, out int records)
    {
        records = 0;
        var values = default(RecordValues);
        if (template.FixedLength > 0)
        {
            // Whatever is left after the last whole record is padding.
            var length = template.FixedLength;
            var read = template.Read;
            var layout = template.Layout;
            for (var offset = 0; offset + length <= body.Length; offset += length)
            {
                var record = body.Slice(offset, length);
                records++;
                if (layout is { Other.Length: 0 })
                {
                    DecodeCommon(record, layout, header, domain, output);
                    continue;
                }

                values.Reset();
                foreach (var field in read)
                {
                    values.Apply(field.Kind, record.Slice(field.Offset, field.Length));
                }

                Emit(ref values, template, header, domain, output);
            }

            return DatagramDrop.None;
        }

        while (body.Length >= template.MinLength)
        {
            values.Reset();
            foreach (var field in template.Fields)
            {
                int length = field.Length;
                if (length == FlowTemplate.VariableLength)
                {
                    if (body.Length < 1)
                    {
                        return DatagramDrop.Truncated;
                    }

                    length = body[0];
                    body = body[1..];
                    if (length == 255)
                    {
                        if (body.Length < 2)
                        {
                            return DatagramDrop.Truncated;
                        }

                        length = BinaryPrimitives.ReadUInt16BigEndian(body);
                        body = body[2..];
                    }
                }

                if (body.Length < length)
                {
                    return DatagramDrop.Truncated;
                }

                values.Apply(field.Kind, body[..length]);
                body = body[length..];
            }

            records++;
            Emit(ref values, template, header, domain, output);
        }

        return DatagramDrop.None;
    }

    /// <summary>The hot path: a record of only the common fields, read straight into its output slot.</summary>
    private static void DecodeCommon(ReadOnlySpan<byte> record, FixedLayout layout, in ExportHeader header, ObservationDomain domain, ExportedFlowBuffer output)
    {
        // A record that names no endpoints is no flow to us.
        if (layout.Src.Length == 0 || layout.Dst.Length == 0)
        {
            return;
        }

        ref var flow = ref output.Add();
        flow.Src = Address(record, layout.Src);
        flow.Dst = Address(record, layout.Dst);
        if (layout.SrcPort.Length != 0) flow.SrcPort = (ushort)RecordValues.Unsigned(record.Slice(layout.SrcPort.Offset, layout.SrcPort.Length));
        if (layout.DstPort.Length != 0) flow.DstPort = (ushort)RecordValues.Unsigned(record.Slice(layout.DstPort.Offset, layout.DstPort.Length));
        if (layout.Protocol.Length != 0) flow.Protocol = (byte)RecordValues.Unsigned(record.Slice(layout.Protocol.Offset, layout.Protocol.Length));
        if (layout.TcpFlags.Length != 0) flow.TcpFlags = (ushort)(RecordValues.Unsigned(record.Slice(layout.TcpFlags.Offset, layout.TcpFlags.Length)) & 0x1FF);
        if (layout.Bytes.Length != 0) flow.Bytes = RecordValues.Counter(record.Slice(layout.Bytes.Offset, layout.Bytes.Length));
        if (layout.Packets.Length != 0) flow.Packets = RecordValues.Counter(record.Slice(layout.Packets.Offset, layout.Packets.Length));
        flow.SamplingInterval = domain.SamplingInterval > 0 ? domain.SamplingInterval : 1;
        flow.StartMs = TimeOf(record, layout.Start, header, domain);
        flow.EndMs = TimeOf(record, layout.End, header, domain);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static NetAddress Address(ReadOnlySpan<byte> record, FieldAt field) => field.Kind is FieldKind.SrcV4 or FieldKind.DstV4
        ? NetAddress.FromV4(BinaryPrimitives.ReadUInt32BigEndian(record[field.Offset..]))
        : new NetAddress(BinaryPrimitives.ReadUInt64BigEndian(record[field.Offset..]), BinaryPrimitives.ReadUInt64BigEndian(record[(field.Offset + 8)..]));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long TimeOf(ReadOnlySpan<byte> record, FieldAt field, in ExportHeader header, ObservationDomain domain)
    {
        if (field.Length == 0) return header.ExportMs;
        var value = RecordValues.Counter(record.Slice(field.Offset, field.Length));
        return field.Kind switch
        {
            FieldKind.StartSeconds or FieldKind.EndSeconds => value * 1000,
            FieldKind.StartMilliseconds or FieldKind.EndMilliseconds => value,
            _ => RecordValues.UptimeTime((uint)value, header, domain),
        };
    }

    private static void Emit(ref RecordValues values, FlowTemplate template, in ExportHeader header, ObservationDomain domain, ExportedFlowBuffer output)
    {
        var sampling = values.Sampling();
        if (template.IsOptions)
        {
            if (sampling > 0) domain.SamplingInterval = sampling;
            if (values.SystemInitMs > 0) domain.SystemInitMs = values.SystemInitMs;
            return;
        }

        // A record that names no endpoints is no flow to us (an exporter's own statistics, a MAC-only record).
        if (!values.HasSrc || !values.HasDst)
        {
            return;
        }

        ref var flow = ref output.Add();
        flow = values.Flow;
        flow.SamplingInterval = sampling > 0 ? sampling : domain.SamplingInterval > 0 ? domain.SamplingInterval : 1;
        if (flow.Bytes == 0) flow.Bytes = values.TotalBytes;
        if (flow.Packets == 0) flow.Packets = values.TotalPackets;
        flow.IsBiflow = values.HasReverse;
        flow.StartMs = values.Time(values.StartAbsMs, values.StartUptime, values.StartDeltaUs, header, domain);
        flow.EndMs = values.Time(values.EndAbsMs, values.EndUptime, values.EndDeltaUs, header, domain);
    }

    private void Hold(ExporterState state, TemplateKey key, in ExportHeader header, ReadOnlySpan<byte> body, long receivedMs)
    {
        if (state.HeldBytes + body.Length > options.MaxHeldBytesPerExporter || _templateWaitMs <= 0)
        {
            state.Stats.Drop(DatagramDrop.NoTemplate);
            return;
        }

        state.Held.Add(new HeldSet(key, header, body.ToArray(), receivedMs));
        state.HeldBytes += body.Length;
    }

    private static void DecodeHeld(ExporterState state, TemplateKey key, FlowTemplate template, ObservationDomain domain, ExportedFlowBuffer output)
    {
        for (var i = 0; i < state.Held.Count; i++)
        {
            var held = state.Held[i];
            if (held.Key != key)
            {
                continue;
            }

            state.Held.RemoveAt(i--);
            state.HeldBytes -= held.Data.Length;
            var start = output.Count;
            if (DecodeData(held.Data, template, held.Header, domain, output, out _) != DatagramDrop.None)
            {
                output.Truncate(start);
                state.Stats.Drop(DatagramDrop.Malformed);
            }
        }
    }

    private void ExpireHeld(ExporterState state, long nowMs)
    {
        for (var i = 0; i < state.Held.Count; i++)
        {
            if (nowMs - state.Held[i].ReceivedMs > _templateWaitMs)
            {
                state.HeldBytes -= state.Held[i].Data.Length;
                state.Held.RemoveAt(i--);
                state.Stats.Drop(DatagramDrop.NoTemplate);
            }
        }
    }
}

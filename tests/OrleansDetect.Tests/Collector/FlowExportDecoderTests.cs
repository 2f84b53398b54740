using OrleansDetect.Ingest.NetFlow;

namespace OrleansDetect.Tests.Collector;

public sealed class FlowExportDecoderTests
{
    private const long Now = 1_764_305_100_000;
    private static readonly NetAddress Exporter = NetAddress.Parse("127.0.0.1");

    internal static byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Collector", "Samples", name));

    /// <summary>softflowd's export of a pcap with 30 SYNs to tcp/22 (every second one answered by RST|ACK) and one HTTPS connection.</summary>
    [Theory]
    [InlineData("v5")]
    [InlineData("v9")]
    [InlineData("v10")]
    public void Softflowd_export_decodes_every_one_way_record(string version)
    {
        var decoder = new FlowExportDecoder();
        var output = new ExportedFlowBuffer();
        foreach (var datagram in new[] { "00", "01" })
        {
            Assert.Equal(DatagramDrop.None, decoder.Decode(Sample($"softflowd-{version}-{datagram}.bin"), Exporter, Now, output));
        }

        var records = output.Records.ToArray();
        Assert.Equal(30 + 15 + 2, records.Length);
        var probes = records.Where(r => r.DstPort == 22).ToArray();
        Assert.Equal(30, probes.Length);
        Assert.All(probes, r =>
        {
            Assert.Equal(NetAddress.Parse("10.1.2.3"), r.Src);
            Assert.Equal(6, r.Protocol);
            Assert.Equal(0x02, r.TcpFlags);
            Assert.Equal(1, r.Packets);
            Assert.Equal(40, r.Bytes);
            Assert.Equal(1u, r.SamplingInterval);
            Assert.True(r.EndMs >= r.StartMs && r.StartMs > 1_700_000_000_000);
        });
        var resets = records.Where(r => r.SrcPort == 22).ToArray();
        Assert.Equal(15, resets.Length);
        Assert.All(resets, r => Assert.Equal(0x14, r.TcpFlags));
        var stats = Assert.Single(decoder.Exporters);
        Assert.Equal(47, stats.Records);
        Assert.Equal(0, stats.SequenceLost);
        Assert.Equal(0, stats.DroppedTotal);
    }

    [Fact]
    public void Softflowd_biflow_records_carry_the_reverse_direction()
    {
        var decoder = new FlowExportDecoder();
        var output = new ExportedFlowBuffer();
        decoder.Decode(Sample("softflowd-v10b-00.bin"), Exporter, Now, output);
        decoder.Decode(Sample("softflowd-v10b-01.bin"), Exporter, Now, output);

        var records = output.Records.ToArray();
        Assert.Equal(31, records.Length);
        Assert.All(records, r => Assert.True(r.IsBiflow));
        var refused = records.Where(r => r.DstPort == 22 && r.ReversePackets == 1).ToArray();
        Assert.Equal(15, refused.Length);
        Assert.All(refused, r => Assert.Equal(0x14, r.ReverseTcpFlags));
        Assert.Equal(15, records.Count(r => r.DstPort == 22 && r.ReversePackets == 0));
    }

    [Fact]
    public void Options_template_sampling_applies_to_the_exporters_records()
    {
        var output = new ExportedFlowBuffer();
        Assert.Equal(DatagramDrop.None, new FlowExportDecoder().Decode(Sample("softflowd-v9s-00.bin"), Exporter, Now, output));

        Assert.True(output.Count > 0);
        foreach (var record in output.Records) Assert.Equal(2u, record.SamplingInterval);
    }

    [Fact]
    public void Ipfix_options_with_psamp_interval_and_space_give_one_in_n()
    {
        var message = new ExportMessage(10)
            .OptionsTemplate(400, scope: [(149, 4)], fields: [(305, 4), (306, 4)])
            .Data(400, new Bytes().U32(1).U32(1).U32(99))
            .Template(300, ExportMessage.V4Fields)
            .Data(300, ExportMessage.Flow("10.0.0.1", "192.0.2.1", 40000, 22))
            .Build();
        var output = new ExportedFlowBuffer();

        new FlowExportDecoder().Decode(message, Exporter, Now, output);

        Assert.Equal(100u, Assert.Single(output.Records.ToArray()).SamplingInterval);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(10)]
    public void Data_before_its_template_is_held_and_decoded_when_the_template_arrives(byte version)
    {
        var decoder = new FlowExportDecoder();
        var output = new ExportedFlowBuffer();
        var data = new ExportMessage(version, sequence: 0).Data(300, ExportMessage.Flow("10.0.0.1", "192.0.2.1", 40000, 22)).Build();
        var template = new ExportMessage(version, sequence: 1).Template(300, ExportMessage.V4Fields).Build();

        decoder.Decode(data, Exporter, Now, output);
        Assert.Equal(0, output.Count);
        Assert.Equal(1, Assert.Single(decoder.Exporters).HeldSets);

        decoder.Decode(template, Exporter, Now + 500, output);
        var flow = Assert.Single(output.Records.ToArray());
        Assert.Equal(NetAddress.Parse("192.0.2.1"), flow.Dst);
        Assert.Equal(0, decoder.Exporters.Single().HeldSets);
        Assert.Equal(1, decoder.Exporters.Single().Records);
    }

    [Fact]
    public void Template_after_data_in_the_same_message_still_decodes_the_data()
    {
        var message = new ExportMessage(9)
            .Data(300, ExportMessage.Flow("10.0.0.1", "192.0.2.1", 40000, 22))
            .Template(300, ExportMessage.V4Fields)
            .Build();
        var output = new ExportedFlowBuffer();

        new FlowExportDecoder().Decode(message, Exporter, Now, output);

        Assert.Equal(1, output.Count);
    }

    [Fact]
    public void Held_data_whose_template_never_comes_is_dropped_and_counted()
    {
        var decoder = new FlowExportDecoder(new FlowDecoderOptions { TemplateWait = TimeSpan.FromSeconds(5) });
        var output = new ExportedFlowBuffer();
        decoder.Decode(new ExportMessage(10).Data(300, ExportMessage.Flow("10.0.0.1", "192.0.2.1", 40000, 22)).Build(), Exporter, Now, output);

        decoder.ExpireHeld(Now + 6_000);
        decoder.Decode(new ExportMessage(10).Template(300, ExportMessage.V4Fields).Build(), Exporter, Now + 7_000, output);

        Assert.Equal(0, output.Count);
        Assert.Equal(1, decoder.Exporters.Single().Dropped(DatagramDrop.NoTemplate));
    }

    [Fact]
    public void Held_data_is_bounded_per_exporter()
    {
        var decoder = new FlowExportDecoder(new FlowDecoderOptions { MaxHeldBytesPerExporter = 100 });
        var output = new ExportedFlowBuffer();
        var data = new ExportMessage(10).Data(300, ExportMessage.Flow("10.0.0.1", "192.0.2.1", 40000, 22)).Build();
        for (var i = 0; i < 10; i++) decoder.Decode(data, Exporter, Now, output);

        var stats = decoder.Exporters.Single();
        Assert.Equal(3, stats.HeldSets);
        Assert.Equal(7, stats.Dropped(DatagramDrop.NoTemplate));
    }

    [Fact]
    public void A_new_definition_under_the_same_id_replaces_the_old()
    {
        var decoder = new FlowExportDecoder();
        var output = new ExportedFlowBuffer();
        decoder.Decode(new ExportMessage(10).Template(300, ExportMessage.V4Fields).Build(), Exporter, Now, output);

        // The refresh swaps source and destination port.
        var swapped = ExportMessage.V4Fields.ToArray();
        (swapped[2], swapped[3]) = (swapped[3], swapped[2]);
        decoder.Decode(new ExportMessage(10).Template(300, swapped).Data(300, ExportMessage.Flow("10.0.0.1", "192.0.2.1", 22, 40000)).Build(), Exporter, Now, output);

        var flow = Assert.Single(output.Records.ToArray());
        Assert.Equal(40000, flow.SrcPort);
        Assert.Equal(22, flow.DstPort);
        Assert.Equal(1, decoder.Exporters.Single().Templates);
    }

    [Theory]
    [InlineData(300)]
    [InlineData(2)]
    public void A_withdrawn_template_no_longer_decodes(ushort withdrawId)
    {
        var decoder = new FlowExportDecoder();
        var output = new ExportedFlowBuffer();
        decoder.Decode(new ExportMessage(10).Template(300, ExportMessage.V4Fields).Template(301, ExportMessage.V6Fields).Build(), Exporter, Now, output);
        Assert.Equal(2, decoder.Exporters.Single().Templates);

        decoder.Decode(new ExportMessage(10).Withdraw(withdrawId).Data(300, ExportMessage.Flow("10.0.0.1", "192.0.2.1", 40000, 22)).Build(), Exporter, Now, output);

        Assert.Equal(0, output.Count);
        Assert.Equal(withdrawId == 2 ? 0 : 1, decoder.Exporters.Single().Templates);
        Assert.Equal(1, decoder.Exporters.Single().HeldSets);
    }

    [Fact]
    public void A_template_not_refreshed_within_its_lifetime_expires()
    {
        var decoder = new FlowExportDecoder(new FlowDecoderOptions { TemplateLifetime = TimeSpan.FromSeconds(60) });
        var output = new ExportedFlowBuffer();
        decoder.Decode(new ExportMessage(9).Template(300, ExportMessage.V4Fields).Build(), Exporter, Now, output);
        var data = new ExportMessage(9).Data(300, ExportMessage.Flow("10.0.0.1", "192.0.2.1", 40000, 22)).Build();

        decoder.Decode(data, Exporter, Now + 59_000, output);
        Assert.Equal(1, output.Count);
        decoder.Decode(data, Exporter, Now + 121_000, output);
        Assert.Equal(1, output.Count);
    }

    [Fact]
    public void Templates_are_kept_apart_by_exporter_and_observation_domain()
    {
        var decoder = new FlowExportDecoder();
        var output = new ExportedFlowBuffer();
        var other = NetAddress.Parse("127.0.0.2");
        var swapped = ExportMessage.V4Fields.ToArray();
        (swapped[2], swapped[3]) = (swapped[3], swapped[2]);
        decoder.Decode(new ExportMessage(10, domain: 1).Template(300, ExportMessage.V4Fields).Build(), Exporter, Now, output);
        decoder.Decode(new ExportMessage(10, domain: 2).Template(300, swapped).Build(), Exporter, Now, output);
        decoder.Decode(new ExportMessage(10, domain: 1).Template(300, swapped).Build(), other, Now, output);

        var record = ExportMessage.Flow("10.0.0.1", "192.0.2.1", 40000, 22);
        decoder.Decode(new ExportMessage(10, domain: 1).Data(300, record).Build(), Exporter, Now, output);
        decoder.Decode(new ExportMessage(10, domain: 2).Data(300, record).Build(), Exporter, Now, output);
        decoder.Decode(new ExportMessage(10, domain: 1).Data(300, record).Build(), other, Now, output);

        Assert.Equal([22, 40000, 40000], output.Records.ToArray().Select(r => (int)r.DstPort));
    }

    [Theory]
    [InlineData(9)]
    [InlineData(10)]
    public void Ipv6_records_decode(byte version)
    {
        var output = new ExportedFlowBuffer();
        var message = new ExportMessage(version)
            .Template(301, ExportMessage.V6Fields)
            .Data(301, ExportMessage.Flow("2001:db8::1", "2001:db8:ffff::7", 40000, 853), ExportMessage.Flow("::ffff:10.0.0.1", "2001:db8::2", 1, 2))
            .Build();

        new FlowExportDecoder().Decode(message, Exporter, Now, output);

        Assert.Equal(NetAddress.Parse("2001:db8::1"), output[0].Src);
        Assert.Equal(NetAddress.Parse("2001:db8:ffff::7"), output[0].Dst);
        Assert.Equal(853, output[0].DstPort);
        Assert.True(output[1].Src.IsV4);
    }

    [Fact]
    public void Enterprise_and_variable_length_fields_are_skipped_by_their_length()
    {
        var message = new ExportMessage(10)
            .TemplateWithEnterprise(
                310,
                (8, 4, 0), (82, 65535, 0), (12, 4, 0), (1000, 4, 9), (7, 2, 0), (2000, 65535, 6876), (11, 2, 0), (4, 1, 0))
            .Data(
                310,
                new Bytes().Address("10.0.0.1").U8(4).Raw("eth0"u8).Address("192.0.2.1").U32(0xDEADBEEF).U16(40000)
                    .U8(255).U16(300).Raw(new byte[300]).U16(3389).U8(6),
                new Bytes().Address("10.0.0.2").U8(0).Address("192.0.2.2").U32(7).U16(40001).U8(1).U8(0xAA).U16(22).U8(6))
            .Build();
        var output = new ExportedFlowBuffer();

        Assert.Equal(DatagramDrop.None, new FlowExportDecoder().Decode(message, Exporter, Now, output));

        Assert.Equal(2, output.Count);
        Assert.Equal((NetAddress.Parse("192.0.2.1"), (ushort)40000, (ushort)3389), (output[0].Dst, output[0].SrcPort, output[0].DstPort));
        Assert.Equal((NetAddress.Parse("192.0.2.2"), (ushort)40001, (ushort)22), (output[1].Dst, output[1].SrcPort, output[1].DstPort));
    }

    [Fact]
    public void Variable_length_fields_in_netflow_v9_are_read_too()
    {
        var message = new ExportMessage(9)
            .Template(320, (8, 4), (82, 65535), (12, 4), (11, 2), (4, 1))
            .Data(320, new Bytes().Address("10.0.0.1").U8(2).Raw("ge"u8).Address("192.0.2.9").U16(445).U8(6))
            .Build();
        var output = new ExportedFlowBuffer();

        new FlowExportDecoder().Decode(message, Exporter, Now, output);

        Assert.Equal(445, Assert.Single(output.Records.ToArray()).DstPort);
    }

    [Fact]
    public void Netflow_v9_times_are_relative_to_the_headers_uptime()
    {
        // Exported at 1,764,305,000 s with the exporter up 100 s; the flow ran from uptime 99.0 s to 99.5 s.
        var output = new ExportedFlowBuffer();
        var message = new ExportMessage(9, exportSeconds: 1_764_305_000, uptimeMs: 100_000)
            .Template(300, ExportMessage.V4Fields)
            .Data(300, ExportMessage.Flow("10.0.0.1", "192.0.2.1", 40000, 22, first: 99_000, last: 99_500))
            .Build();

        new FlowExportDecoder().Decode(message, Exporter, Now, output);

        Assert.Equal(1_764_304_999_000, output[0].StartMs);
        Assert.Equal(1_764_304_999_500, output[0].EndMs);
    }

    [Fact]
    public void Ipfix_absolute_milliseconds_are_taken_as_they_are()
    {
        var output = new ExportedFlowBuffer();
        var message = new ExportMessage(10)
            .Template(330, (8, 4), (12, 4), (11, 2), (4, 1), (152, 8), (153, 8))
            .Data(330, new Bytes().Address("10.0.0.1").Address("192.0.2.1").U16(22).U8(6).U64(1_764_304_000_123).U64(1_764_304_000_456))
            .Build();

        new FlowExportDecoder().Decode(message, Exporter, Now, output);

        Assert.Equal(1_764_304_000_123, output[0].StartMs);
        Assert.Equal(1_764_304_000_456, output[0].EventTimeMs);
    }

    [Fact]
    public void Ipfix_uptime_times_count_from_the_exporters_system_start_across_the_32_bit_wrap()
    {
        // Up 60 days: the 32-bit uptime has wrapped once (49.7 days), so the raw value alone would land 49.7 days early.
        const long exportMs = 1_764_305_000_000;
        var systemInit = exportMs - TimeSpan.FromDays(60).Ticks / TimeSpan.TicksPerMillisecond;
        var uptimeAtFlow = (uint)((exportMs - 2_000 - systemInit) % (1L << 32));
        var output = new ExportedFlowBuffer();
        var message = new ExportMessage(10, exportSeconds: (uint)(exportMs / 1000))
            .OptionsTemplate(256, scope: [(149, 4)], fields: [(160, 8)])
            .Data(256, new Bytes().U32(1).U64((ulong)systemInit))
            .Template(300, ExportMessage.V4Fields)
            .Data(300, ExportMessage.Flow("10.0.0.1", "192.0.2.1", 40000, 22, first: uptimeAtFlow, last: uptimeAtFlow))
            .Build();

        new FlowExportDecoder().Decode(message, Exporter, Now, output);

        Assert.Equal(exportMs - 2_000, output[0].StartMs);
    }

    [Fact]
    public void Sequence_gaps_count_as_loss_in_each_protocols_unit()
    {
        var decoder = new FlowExportDecoder();
        var output = new ExportedFlowBuffer();
        var v9 = (uint seq) => new ExportMessage(9, sequence: seq).Template(300, ExportMessage.V4Fields)
            .Data(300, ExportMessage.Flow("10.0.0.1", "192.0.2.1", 40000, 22)).Build();
        decoder.Decode(v9(10), Exporter, Now, output);
        decoder.Decode(v9(11), Exporter, Now, output);
        decoder.Decode(v9(14), Exporter, Now, output);
        Assert.Equal(2, decoder.Exporters.Single().SequenceLost);

        // IPFIX counts data records: two per message here, so after 100 the next is 102.
        var ipfix = (uint seq) => new ExportMessage(10, sequence: seq).Template(300, ExportMessage.V4Fields)
            .Data(300, ExportMessage.Flow("10.0.0.1", "192.0.2.1", 40000, 22), ExportMessage.Flow("10.0.0.1", "192.0.2.2", 40000, 22)).Build();
        var other = NetAddress.Parse("127.0.0.3");
        decoder.Decode(ipfix(100), other, Now, output);
        decoder.Decode(ipfix(102), other, Now, output);
        decoder.Decode(ipfix(107), other, Now, output);
        Assert.Equal(3, decoder.Exporters.Single(e => e.Address == other).SequenceLost);
    }

    [Fact]
    public void Netflow_v5_sequence_counts_flows()
    {
        var decoder = new FlowExportDecoder();
        var output = new ExportedFlowBuffer();
        var first = Sample("softflowd-v5-00.bin");
        decoder.Decode(first, Exporter, Now, output);

        // The second datagram claims to follow 40 flows rather than 30: 10 were lost.
        var second = Sample("softflowd-v5-01.bin");
        second[16..20].AsSpan().Clear();
        second[19] = 40;
        decoder.Decode(second, Exporter, Now, output);

        Assert.Equal(10, decoder.Exporters.Single().SequenceLost);
    }

    [Fact]
    public void A_set_running_past_the_datagram_drops_the_whole_datagram_and_counts_it()
    {
        var message = new ExportMessage(10).Template(300, ExportMessage.V4Fields)
            .Data(300, ExportMessage.Flow("10.0.0.1", "192.0.2.1", 40000, 22)).Build();
        var truncated = message[..^5];
        truncated[2] = 0;
        truncated[3] = (byte)truncated.Length;
        var output = new ExportedFlowBuffer();
        var decoder = new FlowExportDecoder();

        Assert.Equal(DatagramDrop.Truncated, decoder.Decode(truncated, Exporter, Now, output));
        Assert.Equal(DatagramDrop.UnknownVersion, decoder.Decode([0, 7, 1, 2, 3], Exporter, Now, output));

        Assert.Equal(0, output.Count);
        var stats = decoder.Exporters.Single();
        Assert.Equal(1, stats.Dropped(DatagramDrop.Truncated));
        Assert.Equal(1, stats.Dropped(DatagramDrop.UnknownVersion));
    }

    [Fact]
    public void Decoding_a_warm_template_allocates_nothing()
    {
        var decoder = new FlowExportDecoder();
        var output = new ExportedFlowBuffer(1024);
        var v9 = Sample("softflowd-v9-00.bin");
        var v5 = Sample("softflowd-v5-00.bin");
        decoder.Decode(v9, Exporter, Now, output);
        decoder.Decode(v5, Exporter, Now, output);
        output.Clear();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            decoder.Decode(v9, Exporter, Now, output);
            decoder.Decode(v5, Exporter, Now, output);
            output.Clear();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

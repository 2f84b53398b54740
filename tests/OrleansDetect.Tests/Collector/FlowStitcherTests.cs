using OrleansDetect.Ingest.NetFlow;

namespace OrleansDetect.Tests.Collector;

public sealed class FlowStitcherTests
{
    private const long Now = 1_764_305_100_000;
    private static readonly NetAddress Prober = NetAddress.Parse("10.1.2.3");
    private static readonly NetAddress Target = NetAddress.Parse("198.51.100.7");

    private static ExportedFlow Record(NetAddress src, ushort sport, NetAddress dst, ushort dport, ushort flags, byte proto = 6, long bytes = 40, long packets = 1) => new()
    {
        Src = src, SrcPort = sport, Dst = dst, DstPort = dport, Protocol = proto, TcpFlags = flags,
        Bytes = bytes, Packets = packets, StartMs = Now, EndMs = Now, SamplingInterval = 1,
    };

    private static List<StitchedFlow> Run(params ExportedFlow[] records)
    {
        var stitcher = new FlowStitcher(windowMs: 500);
        var output = new List<StitchedFlow>();
        foreach (var record in records) stitcher.Add(record, Now, output);
        stitcher.Flush(Now + 500, output);
        Assert.Equal(0, stitcher.Pending);
        return output;
    }

    [Fact]
    public void Syn_out_and_rst_ack_back_is_one_rejected_attempt_by_the_prober()
    {
        var flow = Assert.Single(Run(Record(Prober, 40000, Target, 22, 0x02), Record(Target, 22, Prober, 40000, 0x14))).Event;

        Assert.Equal((Prober, Target, (ushort)22, FlowState.Rejected), (flow.Src, flow.Dst, flow.DstPort, flow.State));
        Assert.Equal(2, flow.Packets);
    }

    [Fact]
    public void The_reply_arriving_first_still_makes_the_prober_the_source()
    {
        var flow = Assert.Single(Run(Record(Target, 22, Prober, 40000, 0x14), Record(Prober, 40000, Target, 22, 0x02))).Event;

        Assert.Equal((Prober, FlowState.Rejected), (flow.Src, flow.State));
    }

    [Fact]
    public void Syn_with_nothing_back_is_attempted_once_the_window_passes()
    {
        var stitcher = new FlowStitcher(windowMs: 500);
        var output = new List<StitchedFlow>();
        stitcher.Add(Record(Prober, 40000, Target, 22, 0x02), Now, output);
        stitcher.Flush(Now + 499, output);
        Assert.Empty(output);

        stitcher.Flush(Now + 500, output);

        Assert.Equal(FlowState.Attempted, Assert.Single(output).Event.State);
    }

    [Fact]
    public void Syn_ack_back_is_established_even_when_the_prober_then_resets()
    {
        // nmap -sS against an open port: "SR" out (SYN, then RST), "SA" back.
        var flow = Assert.Single(Run(Record(Prober, 40000, Target, 22, 0x06, packets: 2), Record(Target, 22, Prober, 40000, 0x12))).Event;

        Assert.Equal((Prober, FlowState.Established), (flow.Src, flow.State));
    }

    [Fact]
    public void A_whole_connection_with_both_sides_acking_goes_to_the_side_towards_the_service_port()
    {
        var flow = Assert.Single(Run(Record(Target, 443, Prober, 50000, 0x1B, bytes: 9000, packets: 8), Record(Prober, 50000, Target, 443, 0x1B, bytes: 900, packets: 6))).Event;

        Assert.Equal((Prober, (ushort)443, FlowState.Established, 9900L), (flow.Src, flow.DstPort, flow.State, flow.Bytes));
    }

    [Fact]
    public void A_lone_reset_is_turned_round_and_never_counts_as_the_targets_probe()
    {
        var flow = Assert.Single(Run(Record(Target, 22, Prober, 40000, 0x14))).Event;

        Assert.Equal((Prober, (ushort)40000, Target, (ushort)22, FlowState.Rejected), (flow.Src, flow.SrcPort, flow.Dst, flow.DstPort, flow.State));
    }

    [Fact]
    public void A_lone_udp_reply_from_a_service_port_is_turned_round()
    {
        var resolver = NetAddress.Parse("192.0.2.53");
        var flow = Assert.Single(Run(Record(resolver, 53, Prober, 51000, 0, proto: 17, bytes: 120))).Event;

        Assert.Equal((Prober, resolver, (ushort)53, FlowState.Established), (flow.Src, flow.Dst, flow.DstPort, flow.State));
    }

    [Fact]
    public void Udp_request_and_reply_are_established_and_a_lone_request_is_attempted()
    {
        var resolver = NetAddress.Parse("192.0.2.53");
        var both = Run(Record(Prober, 51000, resolver, 53, 0, proto: 17, bytes: 60), Record(resolver, 53, Prober, 51000, 0, proto: 17, bytes: 120));
        var alone = Run(Record(Prober, 51001, resolver, 161, 0, proto: 17, bytes: 60));

        Assert.Equal(FlowState.Established, Assert.Single(both).Event.State);
        Assert.Equal(FlowState.Attempted, Assert.Single(alone).Event.State);
    }

    [Fact]
    public void Biflow_records_are_used_directly()
    {
        var refused = Record(Prober, 40000, Target, 22, 0x02);
        refused.IsBiflow = true;
        refused.ReversePackets = 1;
        refused.ReverseBytes = 40;
        refused.ReverseTcpFlags = 0x14;
        var unanswered = Record(Prober, 40001, Target, 23, 0x02);
        unanswered.IsBiflow = true;
        var stitcher = new FlowStitcher(windowMs: 500);
        var output = new List<StitchedFlow>();

        stitcher.Add(refused, Now, output);
        stitcher.Add(unanswered, Now, output);

        Assert.Equal([FlowState.Rejected, FlowState.Attempted], output.Select(f => f.Event.State));
        Assert.Equal(0, stitcher.Pending);
    }

    [Fact]
    public void Sampling_is_carried_to_the_event()
    {
        var record = Record(Prober, 40000, Target, 22, 0x02);
        record.SamplingInterval = 100;

        Assert.True(Assert.Single(Run(record)).IsSampled);
    }

    [Fact]
    public void Waiting_records_are_bounded()
    {
        var stitcher = new FlowStitcher(windowMs: 60_000, maxPending: 8);
        var output = new List<StitchedFlow>();
        for (ushort i = 0; i < 20; i++) stitcher.Add(Record(Prober, (ushort)(40000 + i), Target, 22, 0x02), Now, output);

        Assert.Equal(8, stitcher.Pending);
        Assert.Equal(12, output.Count);
    }

    [Fact]
    public void A_full_table_still_pairs_every_reply_whose_request_is_waiting()
    {
        // 1,000 probes through a table of 64, each refused 10 records later: the table turns over constantly, and
        // every reply must still find its own request (never another's), every connection come out once.
        var stitcher = new FlowStitcher(windowMs: 60_000, maxPending: 64);
        var output = new List<StitchedFlow>();
        NetAddress TargetOf(int i) => new(0, 0xFFFF_C633_0000UL | (uint)i);
        for (var i = 0; i < 1000; i++)
        {
            stitcher.Add(Record(Prober, (ushort)(40000 + i), TargetOf(i), 22, 0x02), Now, output);
            if (i >= 10) stitcher.Add(Record(TargetOf(i - 10), 22, Prober, (ushort)(40000 + i - 10), 0x14), Now, output);
        }

        stitcher.Flush(Now, output, all: true);

        Assert.Equal(0, stitcher.Pending);
        Assert.Equal(1000, output.Count);
        Assert.All(output, f => Assert.Equal(Prober, f.Event.Src));
        Assert.Equal(Enumerable.Range(0, 1000), output.Select(f => f.Event.SrcPort - 40000).Order());
        Assert.Equal(990, output.Count(f => f.Event.State == FlowState.Rejected && f.Event.Packets == 2));
        Assert.Equal(Enumerable.Range(990, 10), output.Where(f => f.Event.State == FlowState.Attempted).Select(f => f.Event.SrcPort - 40000).Order());
    }

    [Fact]
    public void Other_protocols_are_counted_and_left_out()
    {
        var stitcher = new FlowStitcher(windowMs: 500);
        var output = new List<StitchedFlow>();
        stitcher.Add(Record(Prober, 0, Target, 0, 0, proto: 47), Now, output);
        stitcher.Flush(Now, output, all: true);

        Assert.Empty(output);
        Assert.Equal(1, stitcher.UnsupportedProtocol);
    }

    [Theory]
    [InlineData("v5")]
    [InlineData("v9")]
    [InlineData("v10")]
    [InlineData("v10b")]
    public void Softflowd_sweep_stitches_into_thirty_probes_half_rejected(string version)
    {
        var decoder = new FlowExportDecoder();
        var records = new ExportedFlowBuffer();
        decoder.Decode(FlowExportDecoderTests.Sample($"softflowd-{version}-00.bin"), NetAddress.Parse("127.0.0.1"), Now, records);
        decoder.Decode(FlowExportDecoderTests.Sample($"softflowd-{version}-01.bin"), NetAddress.Parse("127.0.0.1"), Now, records);
        var stitcher = new FlowStitcher(windowMs: 500);
        var output = new List<StitchedFlow>();
        foreach (var record in records.Records) stitcher.Add(record, Now, output);
        stitcher.Flush(Now, output, all: true);

        var events = output.Select(f => f.Event).ToArray();
        Assert.All(events, e => Assert.Equal(Prober, e.Src));
        var probes = events.Where(e => e.DstPort == 22).ToArray();
        Assert.Equal(30, probes.Select(e => e.Dst).Distinct().Count());
        Assert.Equal(15, probes.Count(e => e.State == FlowState.Rejected));
        Assert.Equal(15, probes.Count(e => e.State == FlowState.Attempted));
        Assert.Equal(FlowState.Established, Assert.Single(events, e => e.DstPort == 443).State);
        Assert.Equal(31, events.Length);
    }
}

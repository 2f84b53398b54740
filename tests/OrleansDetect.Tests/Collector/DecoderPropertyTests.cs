using CsCheck;
using OrleansDetect.Ingest;
using OrleansDetect.Ingest.NetFlow;

namespace OrleansDetect.Tests.Collector;

/// <summary>Whatever arrives on the collector's port, the decoder answers with records or a drop reason, never an exception, and its caches stay bounded.</summary>
public sealed class DecoderPropertyTests
{
    private const long Now = 1_764_305_100_000;
    private static readonly NetAddress Exporter = NetAddress.Parse("127.0.0.1");

    private static readonly byte[][] Samples =
    [
        .. new[] { "v5-00", "v9-00", "v9-01", "v10-00", "v10-01", "v10b-00", "v9s-00" }
            .Select(name => FlowExportDecoderTests.Sample($"softflowd-{name}.bin")),
        new ExportMessage(10)
            .TemplateWithEnterprise(310, (8, 4, 0), (82, 65535, 0), (12, 4, 0), (1000, 4, 9), (11, 2, 0), (4, 1, 0))
            .Data(310, new Bytes().Address("10.0.0.1").U8(4).Raw("eth0"u8).Address("192.0.2.1").U32(1).U16(22).U8(6))
            .OptionsTemplate(400, scope: [(149, 4)], fields: [(305, 4), (306, 4)])
            .Build(),
    ];

    private static void DecodeWithoutThrowing(FlowExportDecoder decoder, byte[] datagram)
    {
        var output = new ExportedFlowBuffer();
        decoder.Decode(datagram, Exporter, Now, output);

        // A record takes at least one byte of a set, so no datagram yields more records than it has bytes.
        Assert.True(output.Count <= datagram.Length);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var version = Gen.OneOf<ushort>(5, 9, 10, 0, 11);
        Gen.Select(version, Gen.Byte.Array[0, 1600]).Sample((v, body) =>
        {
            var datagram = body.Length >= 2 ? body : [0, 0];
            datagram[0] = (byte)(v >> 8);
            datagram[1] = (byte)v;
            DecodeWithoutThrowing(new FlowExportDecoder(), datagram);
        }, iter: 20_000);
    }

    [Fact]
    public void Truncated_real_datagrams_never_throw()
    {
        Gen.Select(Gen.Int[0, Samples.Length - 1], Gen.Double[0, 1]).Sample((which, fraction) =>
        {
            var sample = Samples[which];
            var cut = sample[..(int)(sample.Length * fraction)];
            DecodeWithoutThrowing(new FlowExportDecoder(), cut);
        }, iter: 5_000);
    }

    [Fact]
    public void Bit_flipped_real_datagrams_never_throw_and_keep_the_cache_bounded()
    {
        var options = new FlowDecoderOptions { MaxTemplatesPerExporter = 16, MaxHeldBytesPerExporter = 4096 };
        var decoder = new FlowExportDecoder(options);
        Gen.Select(Gen.Int[0, Samples.Length - 1], Gen.Int[0, 1 << 20].Array[1, 8]).Sample((which, flips) =>
        {
            var datagram = Samples[which].ToArray();
            foreach (var flip in flips)
            {
                var bit = flip % (datagram.Length * 8);
                datagram[bit / 8] ^= (byte)(1 << (bit % 8));
            }

            DecodeWithoutThrowing(decoder, datagram);
            var stats = decoder.Exporters.Single();
            Assert.True(stats.Templates <= options.MaxTemplatesPerExporter);
        }, iter: 20_000, threads: 1);
    }

    private static readonly byte[][] LogSamples =
    [
        .. new[] { "zeek-conn.log", "zeek-conn.json.log", "vpc-v2.log", "vpc-v5.log" }
            .Select(name => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Collector", "Samples", name))),
    ];

    [Fact]
    public void Mangled_zeek_and_vpc_lines_never_throw_and_every_line_is_accounted_for()
    {
        var formats = new[] { FlowFormat.Ndjson, FlowFormat.Zeek, FlowFormat.Vpc };
        Gen.Select(Gen.Int[0, LogSamples.Length - 1], Gen.Int[0, 2], Gen.Int[0, 1 << 20].Array[0, 12], Gen.Double[0, 1]).Sample((which, format, flips, cut) =>
        {
            var body = LogSamples[which].ToArray();
            foreach (var flip in flips)
            {
                var bit = flip % (body.Length * 8);
                body[bit / 8] ^= (byte)(1 << (bit % 8));
            }

            body = body[..(int)(body.Length * cut)];
            var parsed = new FlowParser().Parse(body, formats[format]);
            var lines = body.Count((byte)'\n') + 1;
            Assert.True(parsed.Accepted + parsed.Rejected + parsed.Skipped <= lines);
        }, iter: 5_000);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansDetect.Ingest;
using OrleansDetect.Tests.Client;

namespace OrleansDetect.Tests.Collector;

/// <summary>Zeek conn.log (TSV and JSON) and AWS VPC Flow Logs, from checked-in samples.</summary>
public sealed class FlowLogFormatTests
{
    private static string SamplePath(string name) => Path.Combine(AppContext.BaseDirectory, "Collector", "Samples", name);

    private static byte[] Sample(string name) => File.ReadAllBytes(SamplePath(name));

    private static FlowEvent[] EventsOf(ParsedFlows parsed, string workload) =>
        Assert.Single(parsed.Batches, b => b.Workload == workload).Events;

    [Fact]
    public void Zeek_tsv_reads_the_header_and_keeps_good_lines_beside_a_bad_one()
    {
        var parsed = new FlowParser().Parse(Sample("zeek-conn.log"), FlowFormat.Zeek);

        Assert.Equal(32, parsed.Accepted);
        var error = Assert.Single(parsed.Errors);
        Assert.Equal(12, error.Line);
        Assert.Contains("'id.resp_p'", error.Error, StringComparison.Ordinal);
        Assert.Contains("99999", error.Error, StringComparison.Ordinal);
        var events = EventsOf(parsed, "10.2.0.5");
        var probes = events.Where(e => e.DstPort == 22).ToArray();
        Assert.Equal(15, probes.Count(e => e.State == FlowState.Rejected));
        Assert.Equal(15, probes.Count(e => e.State == FlowState.Attempted));
        var web = Assert.Single(events, e => e.DstPort == 443);
        Assert.Equal((FlowState.Established, 10_300L, 17L), (web.State, web.Bytes, web.Packets));
        Assert.Equal(1_764_305_040_000, web.TimeMs);
        Assert.Equal(FlowProtocol.Udp, Assert.Single(events, e => e.DstPort == 53).Protocol);
    }

    [Fact]
    public void Zeek_json_lines_are_read_by_the_ndjson_parser()
    {
        var parsed = new FlowParser().Parse(Sample("zeek-conn.json.log"));

        Assert.Equal(30, parsed.Accepted);
        var error = Assert.Single(parsed.Errors);
        Assert.Equal(6, error.Line);
        Assert.Contains("'id.orig_h'", error.Error, StringComparison.Ordinal);
        var events = EventsOf(parsed, "10.2.0.6");
        Assert.Equal(15, events.Count(e => e.State == FlowState.Rejected));
        Assert.Equal(15, events.Count(e => e.State == FlowState.Attempted));
        Assert.All(events.Where(e => e.State == FlowState.Rejected), e => Assert.Equal((100L, 2L), (e.Bytes, e.Packets)));
    }

    [Fact]
    public void Vpc_default_v2_lines_map_reject_to_rejected_and_skip_nodata()
    {
        var parsed = new FlowParser().Parse(Sample("vpc-v2.log"), FlowFormat.Vpc);

        Assert.Equal(31, parsed.Accepted);
        Assert.Equal(1, parsed.Skipped);
        var error = Assert.Single(parsed.Errors);
        Assert.Equal(5, error.Line);
        Assert.Contains("'dstport'", error.Error, StringComparison.Ordinal);
        var events = EventsOf(parsed, "eni-0a1b2c3d4e5f60001");
        Assert.Equal(15, events.Count(e => e.DstPort == 22 && e.State == FlowState.Rejected));
        Assert.Equal(15, events.Count(e => e.DstPort == 22 && e.State == FlowState.Attempted));
        Assert.Equal(FlowState.Established, Assert.Single(events, e => e.DstPort == 443).State);
    }

    [Theory]
    [InlineData("vpc-v5.log")]
    [InlineData("vpc-v5.log.gz")]
    public void Vpc_v5_with_a_header_uses_instance_id_tcp_flags_and_the_packet_addresses(string name)
    {
        using var file = ReadAll(name);
        var parsed = new FlowParser().Parse(file.ToArray(), FlowFormat.Vpc);

        Assert.Equal(31, parsed.Accepted);
        Assert.Equal(1, parsed.Skipped);
        Assert.Empty(parsed.Errors);
        var events = EventsOf(parsed, "i-0abc123def4567890");
        Assert.All(events, e => Assert.Equal(NetAddress.Parse("10.4.0.9"), e.Src));
        Assert.Equal(15, events.Count(e => e.DstPort == 22 && e.State == FlowState.Rejected));
        Assert.Equal(15, events.Count(e => e.DstPort == 22 && e.State == FlowState.Attempted));
        Assert.Equal(FlowState.Established, Assert.Single(events, e => e.DstPort == 443).State);
    }

    private static MemoryStream ReadAll(string name)
    {
        var memory = new MemoryStream();
        using var stream = name.EndsWith(".gz", StringComparison.Ordinal)
            ? new System.IO.Compression.GZipStream(File.OpenRead(SamplePath(name)), System.IO.Compression.CompressionMode.Decompress)
            : (Stream)File.OpenRead(SamplePath(name));
        stream.CopyTo(memory);
        return memory;
    }

    [Theory]
    [InlineData("zeek-conn.log", FlowFormat.Zeek)]
    [InlineData("zeek-conn.json.log", FlowFormat.Ndjson)]
    [InlineData("vpc-v2.log", FlowFormat.Vpc)]
    [InlineData("vpc-v5.log", FlowFormat.Vpc)]
    public void The_format_is_told_from_the_content(string name, FlowFormat format)
    {
        Assert.Equal(format, FlowFormats.Detect(Sample(name)));
    }

    [Fact]
    public void Lines_of_a_format_without_its_header_say_so()
    {
        var parsed = new FlowParser().Parse("1764305000.1\tC1\t10.0.0.1\t1\t10.0.0.2\t22\ttcp\n"u8, FlowFormat.Zeek);

        Assert.Contains("#fields", Assert.Single(parsed.Errors).Error, StringComparison.Ordinal);
        Assert.Equal("format", Assert.Single(parsed.RejectionReasons).Key);
    }

    [Fact]
    public async Task Client_send_detects_gzip_and_vpc_and_reports_bad_lines_by_file_line()
    {
        await using var gateway = new FakeGateway();
        var directory = Directory.CreateTempSubdirectory("orleansdetect-vpc-").FullName;
        try
        {
            var gz = Path.Combine(directory, "flows.log.gz");
            File.Copy(SamplePath("vpc-v5.log.gz"), gz);
            var v2 = Path.Combine(directory, "flows.txt");
            File.Copy(SamplePath("vpc-v2.log"), v2);

            var (gzExit, gzOutput, _) = await ClientCli.RunAsync("send", gz, "--gateway", gateway.Url, "--batch-size", "10");
            var (v2Exit, v2Output, _) = await ClientCli.RunAsync("send", v2, "--gateway", gateway.Url, "--batch-size", "10");

            Assert.Equal(0, gzExit);
            Assert.Contains("(vpc)", gzOutput, StringComparison.Ordinal);
            Assert.Contains("accepted 31, rejected 0", gzOutput, StringComparison.Ordinal);
            Assert.Equal(1, v2Exit);
            Assert.Contains("line 5: field 'dstport'", v2Output, StringComparison.Ordinal);
            Assert.Contains("accepted 31, rejected 1", v2Output, StringComparison.Ordinal);

            // Every posted line is an NDJSON event naming its workload.
            var lines = gateway.FlowPosts.SelectMany(p => p.Lines).ToArray();
            Assert.Equal(62, lines.Length);
            Assert.Equal(31, lines.Count(l => JsonDocument.Parse(l).RootElement.GetProperty("host").GetString() == "i-0abc123def4567890"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Client_send_repeats_the_zeek_header_in_every_batch()
    {
        await using var gateway = new FakeGateway();
        var (exitCode, output, _) = await ClientCli.RunAsync("send", SamplePath("zeek-conn.log"), "--gateway", gateway.Url, "--batch-size", "7");

        Assert.Equal(1, exitCode);
        Assert.Contains("line 12: field 'id.resp_p'", output, StringComparison.Ordinal);
        Assert.Contains("accepted 32, rejected 1", output, StringComparison.Ordinal);
    }
}

[Collection(CollectorCollection.Name)]
public sealed class FlowLogIngestTests(CollectorSiloFixture silo)
{
    [Fact]
    public async Task Zeek_lines_posted_as_plain_text_raise_the_sweep()
    {
        var body = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Collector", "Samples", "zeek-conn.log")).Replace("10.2.0.5", "10.2.7.5", StringComparison.Ordinal);
        using var response = await silo.Http.PostAsync("api/v1/flows?format=zeek", new StringContent(body, Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(32, result.GetProperty("accepted").GetInt32());
        Assert.Equal(12, Assert.Single(result.GetProperty("errors").EnumerateArray().ToArray()).GetProperty("line").GetInt32());
        var alert = Assert.Single((await silo.Http.GetFromJsonAsync<JsonElement[]>("api/v1/alerts?workload=10.2.7.5"))!);
        Assert.Equal(30, alert.GetProperty("distinctTargets").GetInt32());
    }

    [Fact]
    public async Task Vpc_lines_count_their_nodata_records_as_skipped_and_an_unknown_format_is_refused()
    {
        var body = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Collector", "Samples", "vpc-v2.log"));
        using var response = await silo.Http.PostAsync("api/v1/flows?format=vpc", new StringContent(body, Encoding.UTF8, "text/plain"));
        using var unknown = await silo.Http.PostAsync("api/v1/flows?format=pcap", new StringContent(body, Encoding.UTF8, "text/plain"));

        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((31, 1, 1), (result.GetProperty("accepted").GetInt32(), result.GetProperty("rejected").GetInt32(), result.GetProperty("skipped").GetInt32()));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }
}

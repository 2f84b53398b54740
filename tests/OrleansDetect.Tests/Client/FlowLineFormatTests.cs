using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using OrleansDetect.Client;
using OrleansDetect.Client.Load;

namespace OrleansDetect.Tests.Client;

public sealed class FlowLineFormatTests
{
    private static readonly string[] DocumentedFields = ["ts", "host", "src", "sport", "dst", "dport", "proto", "state", "bytes", "packets"];
    private static readonly long StartMs = new DateTimeOffset(2026, 11, 28, 4, 47, 57, 123, TimeSpan.Zero).ToUnixTimeMilliseconds();

    [Fact]
    public void Load_lines_are_json_objects_with_the_documented_fields()
    {
        var flows = new SyntheticFlows(workloads: 50);
        var lines = Render(flows, lines: 5_000, seed: 3);
        var names = Enumerable.Range(0, 50).Select(i => flows.Name(i)).ToList();

        Assert.Equal(5_000, lines.Count);
        foreach (var line in lines)
        {
            using var json = JsonDocument.Parse(line);
            var e = json.RootElement;
            Assert.Equal(DocumentedFields, e.EnumerateObject().Select(p => p.Name));
            var ts = DateTimeOffset.Parse(e.GetProperty("ts").GetString()!, CultureInfo.InvariantCulture);
            Assert.InRange(ts.ToUnixTimeMilliseconds(), StartMs, StartMs + 1000);
            Assert.EndsWith("Z", e.GetProperty("ts").GetString());
            Assert.Contains(e.GetProperty("host").GetString(), names);
            Assert.True(IPAddress.TryParse(e.GetProperty("src").GetString(), out _));
            Assert.True(IPAddress.TryParse(e.GetProperty("dst").GetString(), out _));
            Assert.InRange(e.GetProperty("sport").GetInt32(), 1024, 65535);
            Assert.InRange(e.GetProperty("dport").GetInt32(), 1, 65535);
            Assert.Contains(e.GetProperty("proto").GetString(), new[] { "tcp", "udp" });
            Assert.Contains(e.GetProperty("state").GetString(), new[] { "attempted", "rejected", "established" });
            Assert.True(e.GetProperty("bytes").GetInt64() > 0);
            Assert.True(e.GetProperty("packets").GetInt64() > 0);
        }
    }

    [Fact]
    public void With_probing_at_one_percent_only_one_workload_in_a_hundred_sends_failed_connections()
    {
        var flows = new SyntheticFlows(workloads: 1_000, probingPercent: 1);
        var failing = Render(flows, lines: 200_000, seed: 5)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.GetProperty("state").GetString() != "established")
            .Select(e => e.GetProperty("host").GetString()!)
            .ToHashSet();

        // Workloads 0, 100, 200, …: 10 of 1,000, each sending about 40 failures in this many lines.
        Assert.Equal(Enumerable.Range(0, 10).Select(i => flows.Name(i * 100)).Order(), failing.Order());
    }

    [Fact]
    public void Load_traffic_is_mostly_established_and_its_failures_never_approach_a_threshold()
    {
        var lines = Render(new SyntheticFlows(workloads: 10), lines: 100_000, seed: 11);
        var events = lines.Select(line => JsonDocument.Parse(line).RootElement).Select(e => (
            Host: e.GetProperty("host").GetString()!,
            Dst: e.GetProperty("dst").GetString()!,
            Port: e.GetProperty("dport").GetInt32(),
            Failed: e.GetProperty("state").GetString() != "established")).ToList();

        var established = events.Count(e => !e.Failed) / (double)events.Count;
        Assert.InRange(established, 0.78, 0.82);
        // However long a run, each workload fails to the same few hosts: at most 6 per port (sweeps need 25), 2 ports per host (scans need 15).
        Assert.True(events.Where(e => e.Failed).GroupBy(e => (e.Host, e.Port)).Max(g => g.Select(e => e.Dst).Distinct().Count()) <= 6);
        Assert.True(events.Where(e => e.Failed).GroupBy(e => (e.Host, e.Dst)).Max(g => g.Select(e => e.Port).Distinct().Count()) <= 2);
    }

    [Fact]
    public void An_injected_sweep_has_enough_distinct_public_targets_for_an_alert()
    {
        var body = new ArrayBufferWriter<byte>();
        SyntheticFlows.WriteSweep(body, "load-sweep-abc-1", targets: 30, port: 22, StartMs, new Random(1));
        var events = Encoding.UTF8.GetString(body.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement).ToList();

        Assert.Equal(30, events.Count);
        Assert.Equal(30, events.Select(e => e.GetProperty("dst").GetString()).Distinct().Count());
        Assert.All(events, e =>
        {
            Assert.Equal("load-sweep-abc-1", e.GetProperty("host").GetString());
            Assert.Equal(22, e.GetProperty("dport").GetInt32());
            Assert.Equal("attempted", e.GetProperty("state").GetString());
            var dst = e.GetProperty("dst").GetString()!;
            Assert.True(dst.StartsWith("198.51.100.", StringComparison.Ordinal) || dst.StartsWith("203.0.113.", StringComparison.Ordinal), dst);
        });
    }

    [Fact]
    public void A_flow_line_round_trips_through_json()
    {
        var flow = new FlowLine(StartMs, "pod \"a\"\\ü", NetAddress.Parse("2001:db8::1"), 51234, NetAddress.Parse("198.51.100.7"), 22,
            FlowProtocol.Tcp, FlowState.Rejected, 1_234_567_890_123, 3);
        var body = new ArrayBufferWriter<byte>();
        FlowLineWriter.Write(body, flow);
        var text = Encoding.UTF8.GetString(body.WrittenSpan);

        Assert.EndsWith("}\n", text);
        var e = JsonDocument.Parse(text).RootElement;
        Assert.Equal("2026-11-28T04:47:57.123Z", e.GetProperty("ts").GetString());
        Assert.Equal("pod \"a\"\\ü", e.GetProperty("host").GetString());
        Assert.Equal("2001:db8::1", e.GetProperty("src").GetString());
        Assert.Equal(51234, e.GetProperty("sport").GetInt32());
        Assert.Equal("198.51.100.7", e.GetProperty("dst").GetString());
        Assert.Equal(22, e.GetProperty("dport").GetInt32());
        Assert.Equal("tcp", e.GetProperty("proto").GetString());
        Assert.Equal("rejected", e.GetProperty("state").GetString());
        Assert.Equal(1_234_567_890_123, e.GetProperty("bytes").GetInt64());
        Assert.Equal(3, e.GetProperty("packets").GetInt64());
    }

    [Fact]
    public void The_longest_possible_line_fits()
    {
        var longest = NetAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
        var flow = new FlowLine(StartMs, "h", longest, 65535, longest, 65535, FlowProtocol.Icmp, FlowState.Established, long.MaxValue, long.MaxValue);
        var body = new ArrayBufferWriter<byte>(1);

        FlowLineWriter.Write(body, flow);

        Assert.Equal(long.MaxValue, JsonDocument.Parse(body.WrittenMemory).RootElement.GetProperty("packets").GetInt64());
    }

    [Theory]
    [InlineData("2026-11-28T04:47:57.123Z")]
    [InlineData("2028-02-29T23:59:59.999Z")]
    [InlineData("1970-01-01T00:00:00.000Z")]
    [InlineData("2026-01-05T07:08:09.010Z")]
    public void Timestamps_are_rfc3339_utc_with_milliseconds(string expected)
    {
        var ms = DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        var buffer = new byte[FlowLineWriter.TimestampLength];

        FlowLineWriter.FormatTimestamp(ms, buffer);

        Assert.Equal(expected, Encoding.ASCII.GetString(buffer));
    }

    private static List<string> Render(SyntheticFlows flows, int lines, ulong seed)
    {
        var body = new ArrayBufferWriter<byte>();
        var writer = flows.CreateWriter(seed);
        // Two batches through the same writer: its cached timestamp and buffers must not leak between them.
        writer.Write(body, lines / 2, StartMs, 500);
        writer.Write(body, lines - lines / 2, StartMs + 500, 500);
        return [.. Encoding.UTF8.GetString(body.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }
}

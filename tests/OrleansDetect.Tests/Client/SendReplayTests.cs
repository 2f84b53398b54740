using System.Globalization;
using System.Text.Json;
using OrleansDetect.Client;
using OrleansDetect.Client.Send;
using Spectre.Console;

namespace OrleansDetect.Tests.Client;

/// <summary>
/// <c>send</c>'s pacing (<c>--speed N</c> replays at N× event time, planned from the events' own timestamps), its
/// progress (a Spectre.Console bar on a terminal, plain lines otherwise), its summary, its workload names, and
/// standard input as <c>aws s3 cp … - | send -</c> gives it (gzip, format told by its first line).
/// </summary>
public sealed class SendReplayTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 4, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Directory.CreateTempSubdirectory("orleansdetect-replay-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void An_event_is_due_at_its_event_time_since_the_first_divided_by_the_speed()
    {
        var pace = new ReplayPace(60);

        Assert.Equal(TimeSpan.Zero, pace.DueAt(Ms(0)));
        Assert.Equal(TimeSpan.FromSeconds(1), pace.DueAt(Ms(60)));
        // An hour's gap in the log is a minute's pause at 60×.
        Assert.Equal(TimeSpan.FromSeconds(61), pace.DueAt(Ms(3660)));
        // An event older than one already sent does not turn the replay back: it is due at once.
        Assert.Equal(TimeSpan.FromSeconds(61), pace.DueAt(Ms(100)));
        Assert.Equal(TimeSpan.FromSeconds(62), pace.DueAt(Ms(3720)));
    }

    [Fact]
    public void Events_are_sliced_into_requests_a_tenth_of_a_second_of_wall_time_apart()
    {
        // One event a second for two minutes at 100×: 10 ms apart, so 10 events per 100 ms slice.
        var times = Enumerable.Range(0, 120).Select(i => Ms(i)).ToArray();

        var slices = new ReplayPace(100).Slices(times);

        Assert.Equal(12, slices.Count);
        Assert.All(slices, s => Assert.Equal(10, s.Count));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => TimeSpan.FromMilliseconds(i * 100)), slices.Select(s => s.Due));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i * 10), slices.Select(s => s.Start));

        // At 1× every event is a second after the last: a request each, a second apart.
        var realTime = new ReplayPace(1).Slices(times[..3]);
        Assert.Equal([(0, 1, TimeSpan.Zero), (1, 1, TimeSpan.FromSeconds(1)), (2, 1, TimeSpan.FromSeconds(2))],
            realTime.Select(s => (s.Start, s.Count, s.Due)));
    }

    [Fact]
    public async Task Speed_sends_the_file_in_event_time_order_one_request_per_slice_of_event_time()
    {
        await using var gateway = new FakeGateway();
        // A minute of events a second apart, the first ten written in reverse (a log that is not quite sorted).
        var seconds = Enumerable.Range(0, 10).Reverse().Concat(Enumerable.Range(10, 50)).ToArray();
        var file = WriteFile("minute.ndjson", string.Join("\n", seconds.Select(s => Line(s, "10.1.0.1"))) + "\n");

        // 300×: 100 ms of wall time is 30 s of event time, so the minute goes as two requests, 0.1 s apart.
        var (exitCode, output, error) = await ClientCli.RunAsync("send", file, "-g", gateway.Url, "--speed", "300");

        Assert.True(exitCode == 0, output + error);
        var posts = gateway.FlowPosts.Select(p => p.Lines.Select(EventSecond).ToArray()).ToArray();
        Assert.Equal([Enumerable.Range(0, 30), Enumerable.Range(30, 30)], posts);
        Assert.Contains("replaying at 300x event time", output);
        Assert.Contains("accepted 60, rejected 0", output);
    }

    [Fact]
    public async Task Speed_and_max_exclude_each_other_and_a_speed_must_be_positive()
    {
        var file = WriteFile("one.ndjson", Line(0, "10.1.0.1") + "\n");

        var both = await ClientCli.RunAsync("send", file, "-g", "http://127.0.0.1:9", "--speed", "10", "--max");
        var zero = ClientCommandLine.Create(TextWriter.Null, TextWriter.Null).Parse(["send", file, "--speed", "0"]);

        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--speed and --max exclude each other", both.Error);
        Assert.Equal("--speed must be a number above 0", Assert.Single(zero.Errors).Message);
    }

    [Fact]
    public async Task Plain_output_prints_progress_through_the_file_and_a_summary_with_throughput()
    {
        await using var gateway = new FakeGateway();
        // 2,000 lines (≈ 330 KB) in batches of 250: the file is read 64 KB at a time, so progress climbs to 100 %.
        var file = WriteFile("big.ndjson", string.Join("\n", Enumerable.Range(0, 2000).Select(i => Line(i, "10.1.0.1"))) + "\n");

        var (exitCode, output, error) = await ClientCli.RunAsync("send", file, "-g", gateway.Url, "--batch-size", "250", "--progress-interval", "0");

        Assert.True(exitCode == 0, output + error);
        var progress = output.Split('\n').Where(l => l.StartsWith("progress: ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(8, progress.Length);
        var percents = progress.Select(l => int.Parse(l.Split('(')[1].Split('%')[0], CultureInfo.InvariantCulture)).ToArray();
        Assert.True(percents[0] < 100, string.Join('\n', progress));
        Assert.Equal(percents.Order(), percents);
        Assert.Equal(100, percents[^1]);
        Assert.StartsWith("progress: 250 lines (", progress[0], StringComparison.Ordinal);
        Assert.Contains("events/s", progress[0]);
        Assert.Matches(@"done: 8 batches, 2000 lines in \d+\.\d s: accepted 2000, rejected 0; \d+ lines/s, \d+ events/s", output);
    }

    [Fact]
    public async Task On_a_terminal_send_shows_a_progress_bar_and_still_prints_rejected_lines()
    {
        await using var gateway = new FakeGateway((request, _) => request.Method != "POST"
            ? FakeGateway.AcceptAll(request)
            : new FakeAnswer(202, $$"""{"accepted":{{request.Lines.Length - 1}},"rejected":1,"rejectedBy":{"ts":1},"errors":[{"line":1,"error":"field 'ts': not a time"}]}"""));
        var file = WriteFile("events.ndjson", string.Join("\n", Enumerable.Range(0, 40).Select(i => Line(i, "10.1.0.1"))) + "\n");
        var screen = new StringWriter();
        var terminal = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(screen),
        });
        terminal.Profile.Width = 160;
        var output = new StringWriter();
        var error = new StringWriter();

        var exitCode = await ClientCommandLine.Create(output, error, terminal)
            .Parse(["send", file, "-g", gateway.Url, "--batch-size", "10"]).InvokeAsync();

        Assert.Equal(1, exitCode);
        var shown = screen.ToString();
        Assert.Contains("events.ndjson: 40 lines", shown);
        Assert.Contains("100%", shown);
        // Rejected lines and the summary are printed above the bar; accepted batches are not listed one by one.
        Assert.Contains("line 1: field 'ts': not a time", shown);
        Assert.Contains("line 31: field 'ts': not a time", shown);
        Assert.Contains("accepted 36, rejected 4 (ts 4)", shown);
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public async Task Workload_rules_name_events_known_only_by_their_source_address()
    {
        await using var gateway = new FakeGateway();
        var rules = WriteFile("workloads.txt", "# lab hosts\n10.1.0.0/16 lab\n10.1.2.0/24  lab-web   # longest prefix wins\n\n");
        var named = Line(1, "10.1.9.9").Replace("\"src\"", "\"host\":\"db-1\",\"src\"", StringComparison.Ordinal);
        var file = WriteFile("events.ndjson", string.Join("\n",
            Line(0, "10.1.2.3"), Line(1, "10.1.7.7"), Line(2, "10.9.0.1"), Line(3, "192.0.2.5"), named) + "\n");

        var (exitCode, output, error) = await ClientCli.RunAsync("send", file, "-g", gateway.Url,
            "--workloads", rules, "--workload", "10.9.0.1=edge-gw");

        Assert.True(exitCode == 0, output + error);
        var hosts = gateway.FlowPosts.SelectMany(p => p.Lines).Select(l => (Src(l), Host(l))).Order().ToArray();
        Assert.Equal([("10.1.2.3", "lab-web"), ("10.1.7.7", "lab"), ("10.1.9.9", "db-1"), ("10.9.0.1", "edge-gw"), ("192.0.2.5", "192.0.2.5")], hosts);
    }

    [Theory]
    [InlineData("10.1.0.0/16 lab\n10.1.0.0/33 bad\n", "line 2: '10.1.0.0/33' is not an address or a CIDR")]
    [InlineData("10.1.0.0/16\n", "line 1: expected 'CIDR NAME', got 1 fields")]
    public async Task A_bad_workload_rule_names_its_file_and_line(string rules, string expected)
    {
        var file = WriteFile("events.ndjson", Line(0, "10.1.2.3") + "\n");
        var rulesFile = WriteFile("workloads.txt", rules);

        var (exitCode, _, error) = await ClientCli.RunAsync("send", file, "-g", "http://127.0.0.1:9", "--workloads", rulesFile);

        Assert.Equal(2, exitCode);
        Assert.Contains($"--workloads {rulesFile} {expected}", error);
    }

    [Fact]
    public async Task Gzipped_vpc_flow_logs_on_standard_input_are_detected_and_sent()
    {
        await using var gateway = new FakeGateway();
        var log = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Collector", "Samples", "vpc-v2.log"));
        var gzipped = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(gzipped, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(log);
        }

        gzipped.Position = 0;
        var output = new StringWriter();
        var exitCode = await ClientCommandLine.Create(output, new StringWriter(), standardInput: () => gzipped)
            .Parse(["send", "-", "-g", gateway.Url, "--batch-size", "7"]).InvokeAsync();

        // The sample holds one bad port and one NODATA record among its lines (as FlowLogFormatTests reads it).
        Assert.Equal(1, exitCode);
        Assert.Contains("sending stdin (vpc)", output.ToString());
        var lines = gateway.FlowPosts.SelectMany(p => p.Lines).ToArray();
        Assert.Equal(31, lines.Length);
        Assert.All(lines, l => Assert.Equal("eni-0a1b2c3d4e5f60001", Host(l)));
        Assert.Contains("rejected 1 (dport 1), skipped 1 (no data)", output.ToString());
    }

    [Fact]
    public async Task An_interrupted_send_still_says_how_far_it_got()
    {
        using var interrupt = new CancellationTokenSource();
        await using var gateway = new FakeGateway((request, index) =>
        {
            // Ctrl+C while the third batch is at the gateway.
            if (index == 2) interrupt.Cancel();
            return FakeGateway.AcceptAll(request);
        });
        var file = WriteFile("events.ndjson", string.Join("\n", Enumerable.Range(0, 50).Select(i => Line(i, "10.1.0.1"))) + "\n");
        var output = new StringWriter();
        var error = new StringWriter();

        var exitCode = await ClientCommandLine.Create(output, error)
            .Parse(["send", file, "-g", gateway.Url, "--batch-size", "10"]).InvokeAsync(cancellationToken: interrupt.Token);

        Assert.Equal(ClientCommandLine.ExitInterrupted, exitCode);
        Assert.Contains("interrupted", error.ToString());
        // Three batches were read; the third's answer may or may not have been taken before the interruption.
        Assert.Matches(@"done: (2 batches, 30 lines in \d+\.\d s: accepted 20|3 batches, 30 lines in \d+\.\d s: accepted 30), rejected 0", output.ToString());
    }

    private static long Ms(int seconds) => Start.AddSeconds(seconds).ToUnixTimeMilliseconds();

    private static string Line(int second, string src) => string.Create(CultureInfo.InvariantCulture,
        $$"""{"ts":"{{Start.AddSeconds(second).UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}}","src":"{{src}}","sport":40000,"dst":"198.51.100.7","dport":22,"proto":"tcp","state":"attempted"}""");

    private static int EventSecond(string line)
    {
        using var json = JsonDocument.Parse(line);
        var ts = json.RootElement.GetProperty("ts");
        var time = ts.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)(ts.GetDouble() * 1000))
            : DateTimeOffset.Parse(ts.GetString()!, CultureInfo.InvariantCulture);
        return (int)(time - Start).TotalSeconds;
    }

    private static string Src(string line) => JsonDocument.Parse(line).RootElement.GetProperty("src").GetString()!;

    private static string Host(string line) => JsonDocument.Parse(line).RootElement.GetProperty("host").GetString()!;

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }
}

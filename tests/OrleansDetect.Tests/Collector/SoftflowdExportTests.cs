using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansDetect.Ingest.NetFlow;
using OrleansDetect.Silo.Collector;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Collector;

/// <summary>A silo with the NetFlow collector on a free loopback port.</summary>
public sealed class CollectorSiloFixture : SiloFixture
{
    public int CollectorPort => Services.GetRequiredService<NetFlowCollector>().LocalEndPoint!.Port;

    public NetFlowCollector Collector => Services.GetRequiredService<NetFlowCollector>();

    protected override IEnumerable<string> ExtraArgs() =>
    [
        "--Collector:NetFlow:Port=0",
        "--Collector:NetFlow:FlushInterval=00:00:00.050",
        "--Collector:NetFlow:StitchWindow=00:00:00.200",
    ];
}

[CollectionDefinition(Name)]
public sealed class CollectorCollection : ICollectionFixture<CollectorSiloFixture>
{
    public const string Name = "collector";
}

/// <summary>
/// The real exporter: softflowd reads a pcap with a sweep in it and exports to the collector as NetFlow v5, v9, IPFIX
/// and IPFIX biflow; the sweep must raise its alert with every probe counted, and the targets' replies must not
/// become the targets' own probes. A second test checks the decoder record for record against nfdump's nfcapd.
/// </summary>
[Collection(CollectorCollection.Name)]
public sealed class SoftflowdExportTests(CollectorSiloFixture silo) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("softflowd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("5", 5)]
    [InlineData("9", 9)]
    [InlineData("10", 10)]
    [InlineData("10 -b", 11)]
    [InlineData("9 -6", 12)]
    [InlineData("10 -6", 13)]
    public async Task Softflowd_export_of_a_sweep_raises_the_sweep_alert_with_every_probe(string version, int host)
    {
        var ipv6 = version.EndsWith("-6", StringComparison.Ordinal);
        var prober = ipv6 ? $"fd00:1:2::{host:x}" : $"10.1.2.{host}";
        var pcap = Path.Combine(_dir, "sweep.pcap");
        SweepCapture.Write(pcap, prober, DateTimeOffset.UtcNow.AddSeconds(-20));

        await RunAsync(Tool("softflowd"), $"-r {pcap} -n 127.0.0.1:{silo.CollectorPort} -v {version} -d -p {Path.Combine(_dir, "pid")}");

        var alert = await AwaitAlertAsync(prober, a => a.GetProperty("distinctTargets").GetInt32() >= SweepCapture.SweepTargets);
        Assert.Equal("port-sweep", alert.GetProperty("type").GetString());
        Assert.Equal(SweepCapture.SweepPort, alert.GetProperty("port").GetInt32());
        Assert.Equal(SweepCapture.SweepTargets, alert.GetProperty("distinctTargets").GetInt32());

        // 15 refused and 15 unanswered: each counted once as a failed attempt, none lost in stitching.
        Assert.Equal(SweepCapture.SweepTargets, alert.GetProperty("failedAttempts").GetInt32());

        // The targets' RST|ACKs are replies: no target became a workload probing back.
        foreach (var i in new[] { 0, 2, 4 })
        {
            var theirs = await silo.Http.GetFromJsonAsync<JsonElement[]>($"api/v1/alerts?workload={SweepCapture.TargetOf(i, ipv6)}");
            Assert.Empty(theirs!);
        }

        var exporter = Assert.Single(silo.Collector.Exporters(), e => e.Address == NetAddress.Parse("127.0.0.1"));
        Assert.Equal(0, exporter.DroppedTotal);
        Assert.Equal(0, exporter.SequenceLost);
        var view = Assert.Single((await silo.Http.GetFromJsonAsync<JsonElement[]>("api/v1/collector/exporters"))!);
        Assert.Equal("127.0.0.1", view.GetProperty("exporter").GetString());
        Assert.True(view.GetProperty("records").GetInt64() >= 31);
    }

    [Theory]
    [InlineData("9", 21)]
    [InlineData("10", 22)]
    public async Task A_sweep_exported_by_sampling_softflowd_raises_an_alert_that_says_it_is_sampled(string version, int host)
    {
        // softflowd -s 2 keeps one packet in two and announces "1 in 2" in an options template record: of 120 silent
        // probes, 60 become flows, and the alert's counts are a lower bound, so it must say so.
        var prober = $"10.1.2.{host}";
        var pcap = Path.Combine(_dir, "sweep.pcap");
        SweepCapture.Write(pcap, prober, DateTimeOffset.UtcNow.AddSeconds(-20), targets: 120, refusals: false);

        await RunAsync(Tool("softflowd"), $"-r {pcap} -n 127.0.0.1:{silo.CollectorPort} -v {version} -s 2 -d -p {Path.Combine(_dir, "pid")}");

        var alert = await AwaitAlertAsync(prober, a => a.GetProperty("distinctTargets").GetInt32() >= 60);
        Assert.Equal("port-sweep", alert.GetProperty("type").GetString());
        Assert.Equal(60, alert.GetProperty("distinctTargets").GetInt32());
        Assert.EndsWith("(sampled 1 in 2)", alert.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Equal("1 in 2", alert.GetProperty("evidence").GetProperty("sampled").GetString());
    }

    [Theory]
    [InlineData("9")]
    [InlineData("10")]
    public async Task Decoded_records_match_nfcapd_record_for_record(string version)
    {
        var pcap = Path.Combine(_dir, "sweep.pcap");
        SweepCapture.Write(pcap, "10.1.3.1", DateTimeOffset.UtcNow.AddSeconds(-20));

        // nfcapd stores what softflowd sends and repeats every datagram to our socket: both see the same bytes.
        using var repeat = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var repeatPort = ((IPEndPoint)repeat.Client.LocalEndPoint!).Port;
        var nfcapdPort = FreeUdpPort();
        var flowDir = Directory.CreateDirectory(Path.Combine(_dir, "nfcapd")).FullName;
        using var nfcapd = Start(Tool("nfcapd"), $"-w {flowDir} -p {nfcapdPort} -b 127.0.0.1 -R 127.0.0.1/{repeatPort}");
        await AwaitAsync(() => File.ReadAllText(Path.Combine(_dir, "nfcapd.log")).Contains("Startup", StringComparison.Ordinal), "nfcapd to start");

        await RunAsync(Tool("softflowd"), $"-r {pcap} -n 127.0.0.1:{nfcapdPort} -v {version} -d -p {Path.Combine(_dir, "pid")}");

        var decoder = new FlowExportDecoder();
        var ours = new ExportedFlowBuffer();
        using var received = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (ours.Count < 49)
        {
            var datagram = await repeat.ReceiveAsync(received.Token);
            Assert.Equal(DatagramDrop.None, decoder.Decode(datagram.Buffer, NetAddress.Parse("127.0.0.1"), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ours));
        }

        // nfcapd writes its file when it stops (SIGTERM).
        await RunAsync("kill", $"-TERM {nfcapd.Id}");
        await nfcapd.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var file = Assert.Single(Directory.GetFiles(flowDir, "nfcapd.2*"));
        var theirs = (await RunAsync(Tool("nfdump"), $"-r {file} -q -o fmt:%sa,%da,%sp,%dp,%pr,%pkt,%byt,%flg"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => string.Join(',', line.Split(',').Select(f => f.Trim())))
            .Order()
            .ToArray();

        var decoded = ours.Records.ToArray()
            .Select(r => string.Join(',', r.Src, r.Dst, r.SrcPort, r.DstPort, Protocol(r.Protocol), r.Packets, r.Bytes, Flags(r.TcpFlags)))
            .Order()
            .ToArray();
        Assert.Equal(49, theirs.Length);
        Assert.Equal(theirs, decoded);
    }

    private static string Protocol(byte number) => number switch { 6 => "TCP", 17 => "UDP", _ => number.ToString(CultureInfo.InvariantCulture) };

    /// <summary>nfdump's flag string: C E U A P R S F, a dot for each unset flag ("...A.R..").</summary>
    private static string Flags(ushort flags)
    {
        const string letters = "CEUAPRSF";
        return string.Concat(letters.Select((c, i) => (flags & (0x80 >> i)) != 0 ? c : '.'));
    }

    private async Task<JsonElement> AwaitAlertAsync(string workload, Func<JsonElement, bool> complete)
    {
        JsonElement[] alerts = [];
        await AwaitAsync(async () =>
        {
            alerts = (await silo.Http.GetFromJsonAsync<JsonElement[]>($"api/v1/alerts?workload={workload}"))!;
            return alerts.Any(complete);
        }, $"a complete sweep alert for {workload}");
        return alerts.Single(complete);
    }

    private static Task AwaitAsync(Func<bool> condition, string what) => AwaitAsync(() => Task.FromResult(condition()), what);

    /// <summary>Polls a condition the test cannot be told about (an alert appearing, a log line), up to 30 s.</summary>
    private static async Task AwaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>The Debian tool, or a failure that says how to get it: these tests never skip silently.</summary>
    private static string Tool(string name)
    {
        foreach (var dir in new[] { "/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin" })
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path)) return path;
        }

        Assert.Fail($"{name} is not installed: apt-get install -y softflowd nfdump (.ci/run installs them)");
        return name;
    }

    private static int FreeUdpPort()
    {
        using var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }

    private Process Start(string file, string arguments)
    {
        var log = Path.Combine(_dir, Path.GetFileName(file) + ".log");
        File.WriteAllText(log, "");
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false },
        };
        void Append(string? line)
        {
            if (line is null) return;
            lock (process) File.AppendAllText(log, line + "\n");
        }

        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<string> RunAsync(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw;
        }

        Assert.True(process.ExitCode == 0, $"{file} {arguments} exited {process.ExitCode}: {await error}");
        return await output;
    }
}

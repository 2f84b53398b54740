using System.Text;
using BenchmarkDotNet.Attributes;
using OrleansDetect.Ingest;

namespace OrleansDetect.Benchmarks.Ingest;

/// <summary>
/// Parses a 10,000-line body of typical events (the design's example shape, 20 workloads). Results are per line
/// (OperationsPerInvoke), so lines/s = 1e9 / Mean in ns.
/// </summary>
[MemoryDiagnoser]
public class FlowParserBenchmarks
{
    private const int Lines = 10_000;

    private readonly FlowParser _parser = new();
    private byte[] _ndjson = [];
    private byte[] _ndjsonWithoutHost = [];
    private byte[] _array = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var withHost = new List<string>(Lines);
        var withoutHost = new List<string>(Lines);
        var start = DateTimeOffset.Parse("2026-11-28T04:47:57Z");
        string[] states = ["attempted", "rejected", "established"];
        for (var i = 0; i < Lines; i++)
        {
            var host = $"web-{i % 20}";
            var ts = start.AddMilliseconds(i * 37).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'");
            var src = $"10.1.{i % 20}.{(i % 200) + 3}";
            var dst = $"198.51.{random.Next(256)}.{random.Next(256)}";
            var fields = $"\"src\":\"{src}\",\"sport\":{random.Next(32768, 61000)},\"dst\":\"{dst}\",\"dport\":{(i % 3 == 0 ? 22 : random.Next(1, 1024))},\"proto\":\"tcp\",\"state\":\"{states[i % 3]}\",\"bytes\":{random.Next(40, 4000)},\"packets\":{random.Next(1, 12)}";
            withHost.Add($"{{\"ts\":\"{ts}\",\"host\":\"{host}\",{fields}}}");
            withoutHost.Add($"{{\"ts\":{start.ToUnixTimeSeconds() + (i / 10)}.{i % 1000:D3},{fields}}}");
        }

        _ndjson = Encoding.UTF8.GetBytes(string.Join('\n', withHost) + "\n");
        _ndjsonWithoutHost = Encoding.UTF8.GetBytes(string.Join('\n', withoutHost) + "\n");
        _array = Encoding.UTF8.GetBytes("[" + string.Join(",\n", withHost) + "]");

        if (_parser.Parse(_ndjson).Accepted != Lines || _parser.Parse(_ndjsonWithoutHost).Accepted != Lines || _parser.Parse(_array).Accepted != Lines)
        {
            throw new InvalidOperationException("benchmark input does not parse cleanly");
        }
    }

    [Benchmark(OperationsPerInvoke = Lines, Baseline = true)]
    public int Ndjson() => _parser.Parse(_ndjson).Accepted;

    [Benchmark(OperationsPerInvoke = Lines)]
    public int NdjsonUnixSecondsNoHost() => _parser.Parse(_ndjsonWithoutHost).Accepted;

    [Benchmark(OperationsPerInvoke = Lines)]
    public int JsonArray() => _parser.Parse(_array).Accepted;
}

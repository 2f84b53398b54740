using BenchmarkDotNet.Attributes;
using OrleansDetect;
using OrleansDetect.Detection;

namespace OrleansDetect.Benchmarks;

/// <summary>
/// What a fleet grain does per signal the aggregators flush to it: a distributed-scan bucket taking 10,000 failed
/// probes from 1,000 workloads over 2,000 destinations and judging once (one flush), and a fleet-sweep port taking
/// 1,000 workloads' sweeps and judging.
/// </summary>
[MemoryDiagnoser]
public class FleetSignalBenchmarks
{
    private const int Probes = 10_000;
    private const int Sweeps = 1_000;
    private const long StartMs = 1_795_841_277_000;

    private readonly FleetOptions _options = new();
    private readonly List<Finding> _findings = [];
    private (string Workload, ProbeSignal Probe)[] _probes = [];
    private (string Workload, SweepSignal Sweep)[] _sweeps = [];
    private long _round;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        var workloads = Enumerable.Range(0, 1_000).Select(w => $"workload-{w}").ToArray();
        _probes = [.. Enumerable.Range(0, Probes).Select(i => (workloads[random.Next(workloads.Length)],
            new ProbeSignal(NetAddress.FromV4(10, 50, (byte)random.Next(8), (byte)random.Next(250)), FlowProtocol.Tcp, (ushort)random.Next(1, 1024), StartMs)))];
        _sweeps = [.. workloads.Select(w => (w, new SweepSignal(
            new AlertKey { Subject = AlertSubject.Workload(w), Type = DetectionTypes.PortSweep, Protocol = FlowProtocol.Tcp, Port = 445, Scope = Scopes.Internal },
            Severity.Medium, 30, StartMs)))];
    }

    /// <summary>One distributed-scan bucket: add every probe of a flush, then judge.</summary>
    [Benchmark(OperationsPerInvoke = Probes)]
    public int DistributedScanBucket()
    {
        var window = new DistributedScanWindow(_options);
        var shift = ++_round * 600_000;
        foreach (var (workload, probe) in _probes) window.Add(workload, StartMs + shift, probe with { TimeMs = probe.TimeMs + shift }, 0);
        _findings.Clear();
        window.Judge(0, _findings);
        return _findings.Count;
    }

    /// <summary>One fleet-sweep port: add 1,000 workloads' sweeps, then judge.</summary>
    [Benchmark(OperationsPerInvoke = Sweeps)]
    public int FleetSweepPort()
    {
        var window = new FleetSweepWindow(_options, FlowProtocol.Tcp, 445);
        foreach (var (workload, sweep) in _sweeps) window.Add(workload, StartMs, sweep, 0);
        return window.Judge(0)?.DistinctTargets ?? 0;
    }
}

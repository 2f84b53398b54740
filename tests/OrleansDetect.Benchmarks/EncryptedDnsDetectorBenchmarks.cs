using BenchmarkDotNet.Attributes;
using OrleansDetect;
using OrleansDetect.Detectors;

namespace OrleansDetect.Benchmarks;

/// <summary>
/// The encrypted-DNS path as the workload grain runs it (baseline clock + detector per event, Collect per batch of
/// 500) over 50 learned workloads × 20,000 events: 60% HTTPS (every one a known-resolver lookup), 20% other
/// established traffic, 10% DoT/DoH to the workload's usual resolvers, 10% failures. Beside it, the same trace
/// through the sweep detector alone, and through every detector of a workload together.
/// </summary>
[MemoryDiagnoser]
public class EncryptedDnsDetectorBenchmarks
{
    private const int Workloads = 50;
    private const int EventsPerWorkload = 20_000;
    private const int TotalEvents = Workloads * EventsPerWorkload;
    private const int BatchSize = 500;
    private const long TraceSpanMs = 10 * 60 * 1000;

    private static readonly NetAddress[] Resolvers = [NetAddress.Parse("1.1.1.1"), NetAddress.Parse("8.8.8.8"), NetAddress.Parse("9.9.9.9")];

    private FlowEvent[][] _trace = [];
    private WorkloadBaseline[] _baselines = [];
    private EncryptedDnsDetector[] _dns = [];
    private PortSweepDetector[] _sweeps = [];
    private PortScanDetector[] _scans = [];
    private readonly List<EncryptedDnsFinding> _dnsFindings = [];
    private readonly List<SweepFinding> _sweepFindings = [];
    private readonly List<ScanFinding> _scanFindings = [];
    private long _offsetMs;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _trace = [.. Enumerable.Range(0, Workloads).Select(w => Generate(random, w))];
        var options = new BaselineOptions { LearningPeriod = TimeSpan.FromMinutes(30), MinActiveWindows = 3 };
        _baselines = [.. Enumerable.Range(0, Workloads).Select(_ => new WorkloadBaseline(options))];
        _dns = [.. _baselines.Select(b => new EncryptedDnsDetector(new EncryptedDnsOptions(), KnownResolvers.Shipped, b))];
        _sweeps = [.. _baselines.Select(b => new PortSweepDetector(new PortSweepOptions(), NetworkScope.Default) { ThresholdSource = b })];
        _scans = [.. Enumerable.Range(0, Workloads).Select(_ => new PortScanDetector(new PortScanOptions(), NetworkScope.Default))];

        // Learn: replay the trace until every baseline finished learning, so the benchmark measures learned workloads.
        for (var i = 0; i < 6; i++) AllDetectors();
    }

    [Benchmark(OperationsPerInvoke = TotalEvents)]
    public int EncryptedDnsObserveAndCollect()
    {
        var offset = NextOffset();
        var found = 0;
        for (var w = 0; w < _trace.Length; w++)
        {
            var baseline = _baselines[w];
            var detector = _dns[w];
            var events = _trace[w];
            for (var start = 0; start < events.Length; start += BatchSize)
            {
                foreach (ref readonly var raw in events.AsSpan(start, Math.Min(BatchSize, events.Length - start)))
                {
                    var e = raw with { TimeMs = raw.TimeMs + offset };
                    baseline.Advance(e.TimeMs, null);
                    detector.Observe(in e);
                }

                _dnsFindings.Clear();
                detector.Collect(_dnsFindings);
                found += _dnsFindings.Count;
            }
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = TotalEvents)]
    public int SweepObserveAndCollect()
    {
        var offset = NextOffset();
        var found = 0;
        for (var w = 0; w < _trace.Length; w++)
        {
            var detector = _sweeps[w];
            var events = _trace[w];
            for (var start = 0; start < events.Length; start += BatchSize)
            {
                foreach (ref readonly var raw in events.AsSpan(start, Math.Min(BatchSize, events.Length - start)))
                {
                    detector.Observe(raw with { TimeMs = raw.TimeMs + offset });
                }

                _sweepFindings.Clear();
                detector.Collect(_sweepFindings);
                found += _sweepFindings.Count;
            }
        }

        return found;
    }

    /// <summary>Everything the workload grain runs per event: sweep, scan, baseline clock (with fan-out at window ends), encrypted DNS.</summary>
    [Benchmark(OperationsPerInvoke = TotalEvents)]
    public int AllDetectors()
    {
        var offset = NextOffset();
        var found = 0;
        for (var w = 0; w < _trace.Length; w++)
        {
            var (baseline, dns, sweeps, scans) = (_baselines[w], _dns[w], _sweeps[w], _scans[w]);
            var events = _trace[w];
            for (var start = 0; start < events.Length; start += BatchSize)
            {
                foreach (ref readonly var raw in events.AsSpan(start, Math.Min(BatchSize, events.Length - start)))
                {
                    var e = raw with { TimeMs = raw.TimeMs + offset };
                    var onTime = sweeps.Observe(in e);
                    scans.Observe(in e);
                    if (!onTime) continue;
                    baseline.Advance(e.TimeMs, sweeps);
                    dns.Observe(in e);
                }

                _sweepFindings.Clear();
                _scanFindings.Clear();
                _dnsFindings.Clear();
                sweeps.Collect(_sweepFindings);
                scans.Collect(_scanFindings);
                dns.Collect(_dnsFindings);
                found += _sweepFindings.Count + _scanFindings.Count + _dnsFindings.Count;
            }
        }

        return found;
    }

    // Every replay starts after the previous one ended (plus a gap longer than any window).
    private long NextOffset() => _offsetMs += TraceSpanMs + (15 * 60 * 1000);

    private static FlowEvent[] Generate(Random random, int workload)
    {
        var self = NetAddress.FromV4(10, 0, (byte)workload, 10);
        var https = Enumerable.Range(0, 60).Select(i => NetAddress.FromV4(52, 20, (byte)workload, (byte)i)).ToArray();
        var events = new FlowEvent[EventsPerWorkload];
        const long baseMs = 1_795_841_277_000;
        for (var i = 0; i < events.Length; i++)
        {
            var time = baseMs + (i * TraceSpanMs / EventsPerWorkload) - random.Next(0, 1_000);
            var roll = random.Next(100);
            events[i] = roll switch
            {
                < 60 => Flow(time, self, https[random.Next(https.Length)], 443, FlowProtocol.Tcp, FlowState.Established),
                < 80 => Flow(time, self, NetAddress.FromV4(10, 1, (byte)random.Next(40), 20), 5432, FlowProtocol.Tcp, FlowState.Established),
                < 85 => Flow(time, self, Resolvers[workload % 2], 853, FlowProtocol.Tcp, FlowState.Established),
                < 90 => Flow(time, self, Resolvers[2], 443, FlowProtocol.Udp, FlowState.Established),
                _ => Flow(time, self, NetAddress.FromV4(34, 100, (byte)workload, (byte)random.Next(200)), (ushort)(8000 + random.Next(10)), FlowProtocol.Tcp, FlowState.Attempted),
            };
        }

        return events;
    }

    private static FlowEvent Flow(long timeMs, NetAddress src, NetAddress dst, ushort port, FlowProtocol protocol, FlowState state) =>
        new(timeMs, src, 50_000, dst, port, protocol, state, state == FlowState.Established ? 4_000 : 60, state == FlowState.Established ? 10 : 1);
}

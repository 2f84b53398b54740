using BenchmarkDotNet.Attributes;
using OrleansDetect;
using OrleansDetect.Detection;

namespace OrleansDetect.Benchmarks;

/// <summary>
/// Observe throughput of the sweep and scan detectors on one core, over a pre-generated mix: 50 workloads,
/// 20,000 events each (1M in all, ~10 min of event time per workload). Four in five events are established
/// connections to a few dozen services; one in five fails against a modest set of destinations; five
/// workloads also sweep port 22/445 and one scans a host. Each invocation replays the trace later in event
/// time, so the detectors stay in steady state (windows full, pruning, no warm-up growth) across invocations.
/// </summary>
[MemoryDiagnoser]
public class SweepDetectorBenchmarks
{
    private const int Workloads = 50;
    private const int EventsPerWorkload = 20_000;
    private const int TotalEvents = Workloads * EventsPerWorkload;
    private const int BatchSize = 500;
    private const long TraceSpanMs = 10 * 60 * 1000;

    private FlowEvent[][] _trace = [];
    private PortSweepDetector[] _sweeps = [];
    private PortScanDetector[] _scans = [];
    private EventClock[] _clocks = [];
    private readonly List<Finding> _findings = [];
    private long _offsetMs;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _trace = new FlowEvent[Workloads][];
        for (var w = 0; w < Workloads; w++)
        {
            _trace[w] = Generate(random, w);
        }

        _sweeps = new PortSweepDetector[Workloads];
        _scans = new PortScanDetector[Workloads];
        _clocks = new EventClock[Workloads];
        for (var w = 0; w < Workloads; w++)
        {
            var subject = AlertSubject.Workload($"w{w}");
            _sweeps[w] = new PortSweepDetector(new PortSweepOptions(), NetworkScope.Default, subject);
            _scans[w] = new PortScanDetector(new PortScanOptions(), NetworkScope.Default, subject);
            _clocks[w] = new EventClock(new EventClockOptions().AllowedLateness);
        }
    }

    [Benchmark(OperationsPerInvoke = TotalEvents)]
    public int SweepObserve()
    {
        var offset = NextOffset();
        var accepted = 0;
        for (var w = 0; w < _trace.Length; w++)
        {
            var (detector, clock) = (_sweeps[w], _clocks[w]);
            foreach (ref readonly var e in _trace[w].AsSpan())
            {
                var shifted = e with { TimeMs = e.TimeMs + offset };
                if (clock.Admit(shifted.TimeMs))
                {
                    detector.Observe(in shifted, clock.WatermarkMs);
                    accepted++;
                }
            }
        }

        return accepted;
    }

    /// <summary>As the workload grain runs it: Observe each event, Collect once per batch of 500.</summary>
    [Benchmark(OperationsPerInvoke = TotalEvents)]
    public int SweepObserveAndCollect()
    {
        var offset = NextOffset();
        var found = 0;
        for (var w = 0; w < _trace.Length; w++)
        {
            var (detector, clock) = (_sweeps[w], _clocks[w]);
            var events = _trace[w];
            for (var start = 0; start < events.Length; start += BatchSize)
            {
                foreach (ref readonly var e in events.AsSpan(start, Math.Min(BatchSize, events.Length - start)))
                {
                    var shifted = e with { TimeMs = e.TimeMs + offset };
                    if (clock.Admit(shifted.TimeMs)) detector.Observe(in shifted, clock.WatermarkMs);
                }

                _findings.Clear();
                detector.Collect(clock.WatermarkMs, duringLearning: false, _findings);
                found += _findings.Count;
            }
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = TotalEvents)]
    public int ScanObserve()
    {
        var offset = NextOffset();
        var accepted = 0;
        for (var w = 0; w < _trace.Length; w++)
        {
            var (detector, clock) = (_scans[w], _clocks[w]);
            foreach (ref readonly var e in _trace[w].AsSpan())
            {
                var shifted = e with { TimeMs = e.TimeMs + offset };
                if (clock.Admit(shifted.TimeMs))
                {
                    detector.Observe(in shifted, clock.WatermarkMs);
                    accepted++;
                }
            }
        }

        return accepted;
    }

    // Every replay starts after the previous one ended (plus a gap longer than any window).
    private long NextOffset() => _offsetMs += TraceSpanMs + (15 * 60 * 1000);

    private static FlowEvent[] Generate(Random random, int workload)
    {
        var self = NetAddress.FromV4(10, 0, (byte)workload, 10);
        var services = Enumerable.Range(0, 40)
            .Select(i => (Address: i % 2 == 0 ? NetAddress.FromV4(10, 1, (byte)i, 20) : NetAddress.FromV4(52, 10, (byte)i, 7), Port: (ushort)(i % 4 switch { 0 => 443, 1 => 80, 2 => 5432, _ => 6379 })))
            .ToArray();
        var flaky = Enumerable.Range(0, 200)
            .Select(i => (Address: i % 3 == 0 ? NetAddress.FromV4(172, 16, (byte)(i / 250), (byte)i) : NetAddress.FromV4(34, 100, (byte)workload, (byte)i), Port: (ushort)(8000 + (i % 10))))
            .ToArray();
        var sweepPort = (ushort)(workload % 2 == 0 ? 22 : 445);
        var sweeps = workload % 10 == 3;
        var scans = workload == 7;

        var events = new FlowEvent[EventsPerWorkload];
        var sweepTarget = 0u;
        var scanPort = 1;
        const long baseMs = 1_795_841_277_000;
        for (var i = 0; i < events.Length; i++)
        {
            // Spread over the trace span, with up to 1 s of reordering as collectors deliver it.
            var time = baseMs + (i * TraceSpanMs / EventsPerWorkload) - random.Next(0, 1_000);
            var roll = random.Next(100);
            if (sweeps && roll < 10)
            {
                var dst = sweepPort == 22 ? NetAddress.FromV4(0x2D00_0000u + sweepTarget++) : NetAddress.FromV4(0x0A80_0000u + sweepTarget++);
                events[i] = Flow(time, self, dst, sweepPort, FlowState.Attempted);
            }
            else if (scans && roll < 15)
            {
                events[i] = Flow(time, self, NetAddress.FromV4(10, 9, 9, 9), (ushort)(scanPort++ % 2000 + 1), FlowState.Rejected);
            }
            else if (roll < 80)
            {
                var (dst, port) = services[random.Next(services.Length)];
                events[i] = Flow(time, self, dst, port, FlowState.Established);
            }
            else
            {
                var (dst, port) = flaky[random.Next(flaky.Length)];
                events[i] = Flow(time, self, dst, port, roll < 90 ? FlowState.Attempted : FlowState.Rejected);
            }
        }

        return events;
    }

    private static FlowEvent Flow(long timeMs, NetAddress src, NetAddress dst, ushort port, FlowState state) =>
        new(timeMs, src, 50_000, dst, port, FlowProtocol.Tcp, state, state == FlowState.Established ? 4_000 : 60, state == FlowState.Established ? 10 : 1);
}

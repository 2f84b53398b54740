using BenchmarkDotNet.Attributes;
using OrleansDetect;
using OrleansDetect.Detection;

namespace OrleansDetect.Benchmarks;

/// <summary>
/// Every detector of a workload as the workload grain runs it (<see cref="WorkloadDetection.Observe"/> per batch of
/// 500, then <see cref="WorkloadDetection.Collect"/>) over 50 learned workloads × 20,000 events: 60% HTTPS (every
/// one a known-resolver lookup), 20% other established traffic, 10% DoT/DoH to the workload's usual resolvers,
/// 10% failures.
/// </summary>
[MemoryDiagnoser]
public class WorkloadDetectionBenchmarks
{
    private const int Workloads = 50;
    private const int EventsPerWorkload = 20_000;
    private const int TotalEvents = Workloads * EventsPerWorkload;

    /// <summary>Events one benchmark invocation replays.</summary>
    public const int EventsPerReplay = TotalEvents;
    private const int BatchSize = 500;
    private const long TraceSpanMs = 10 * 60 * 1000;

    private static readonly NetAddress[] Resolvers = [NetAddress.Parse("1.1.1.1"), NetAddress.Parse("8.8.8.8"), NetAddress.Parse("9.9.9.9")];

    private FlowEvent[][] _trace = [];
    private WorkloadDetection[] _workloads = [];
    private WorkloadDetection[] _windowsOnly = [];
    private readonly List<Finding> _findings = [];
    private long _offsetMs;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _trace = [.. Enumerable.Range(0, Workloads).Select(w => Generate(random, w))];
        var settings = new DetectionSettings { Baseline = new BaselineOptions { LearningPeriod = TimeSpan.FromMinutes(30), MinActiveWindows = 3 } };
        _workloads = [.. Enumerable.Range(0, Workloads).Select(w => new WorkloadDetection($"w{w}", settings))];
        var windowsOnly = settings with
        {
            Slow = new SlowProbeOptions { Enabled = false },
            ReconChain = new ReconChainOptions { Enabled = false },
            Fleet = new FleetOptions { Enabled = false },
            Incident = new IncidentOptions { Enabled = false },
        };
        _windowsOnly = [.. Enumerable.Range(0, Workloads).Select(w => new WorkloadDetection($"w{w}", windowsOnly))];

        // Learn: replay the trace until every baseline finished learning, so the benchmark measures learned workloads.
        for (var i = 0; i < 6; i++)
        {
            AllDetectors();
            WithoutRecon();
        }

        if (!_workloads.All(w => w.Baseline.IsLearned) || !_windowsOnly.All(w => w.Baseline.IsLearned)) throw new InvalidOperationException("the workloads did not finish learning");
    }

    /// <summary>
    /// For the <c>detection-loop</c> breakdown: a replay over learned workloads with one recon addition off
    /// (<c>slow</c>, <c>chain</c>, <c>fleet</c> or <c>incident</c>), so its cost is the difference to <see cref="AllDetectors"/>.
    /// </summary>
    public Func<int> WithoutOne(string addition)
    {
        var settings = new DetectionSettings { Baseline = new BaselineOptions { LearningPeriod = TimeSpan.FromMinutes(30), MinActiveWindows = 3 } };
        settings = addition switch
        {
            "slow" => settings with { Slow = new SlowProbeOptions { Enabled = false } },
            "chain" => settings with { ReconChain = new ReconChainOptions { Enabled = false } },
            "fleet" => settings with { Fleet = new FleetOptions { Enabled = false } },
            "incident" => settings with { Incident = new IncidentOptions { Enabled = false } },
            _ => throw new ArgumentException($"no recon addition '{addition}'", nameof(addition)),
        };
        WorkloadDetection[] workloads = [.. Enumerable.Range(0, Workloads).Select(w => new WorkloadDetection($"w{w}", settings))];
        for (var i = 0; i < 6; i++) Replay(workloads);
        return () => Replay(workloads);
    }

    /// <summary>The same without the recon additions (slow tracker, chains, fleet signals, incidents): what they cost.</summary>
    [Benchmark(OperationsPerInvoke = TotalEvents)]
    public int WithoutRecon() => Replay(_windowsOnly);

    /// <summary>Everything the workload grain runs: clock, own-address check, sweep, scan, baseline (with fan-out at window ends), encrypted DNS, slow tracker, chains, fleet signals, incidents.</summary>
    [Benchmark(OperationsPerInvoke = TotalEvents)]
    public int AllDetectors() => Replay(_workloads);

    private int Replay(WorkloadDetection[] workloads)
    {
        var offset = NextOffset();
        var found = 0;
        var batch = new FlowEvent[BatchSize];
        for (var w = 0; w < _trace.Length; w++)
        {
            var workload = workloads[w];
            var events = _trace[w];
            for (var start = 0; start < events.Length; start += BatchSize)
            {
                var count = Math.Min(BatchSize, events.Length - start);
                for (var i = 0; i < count; i++) batch[i] = events[start + i] with { TimeMs = events[start + i].TimeMs + offset };
                workload.Observe(batch.AsSpan(0, count), long.MaxValue);
                _findings.Clear();
                workload.Collect(_findings);
                found += _findings.Count + (workload.TakeSignals()?.Probes.Length ?? 0);
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

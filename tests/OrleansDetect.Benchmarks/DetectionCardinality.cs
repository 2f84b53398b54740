using System.Diagnostics;
using System.Globalization;
using OrleansDetect;
using OrleansDetect.Detection;

namespace OrleansDetect.Benchmarks;

/// <summary>
/// <c>detection-cardinality [rounds] [workloads…]</c>: what a batch costs the detection core per event when it spreads
/// over many workloads. Each batch is 10,000 events of <c>client load</c>'s traffic (80 % established to 8 shared
/// services, 15 % failed to 6 internal hosts × 2 ports, 5 % failed to 3 public hosts, per workload), drawn uniformly
/// from N workloads; each workload of the batch gets what a workload grain does per request: Observe, Collect,
/// TakeSignals. Event time moves 10 ms per batch (1 M events/s). With 100 workloads a workload sees ~100 events a
/// batch; with 10,000 it sees one or two, so fixed per-visit costs (and cache misses on cold state) dominate.
/// </summary>
internal static class DetectionCardinality
{
    private const int BatchSize = 10_000;
    private const long BatchSpanMs = 10;

    public static void Run(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        int[] sizes = args.Length > 2 ? [.. args.Skip(2).Select(a => int.Parse(a, CultureInfo.InvariantCulture))] : [100, 10_000];
        var fleets = sizes.Select(n => new Fleet(n)).ToArray();
        // Warm every fleet (JIT, window state at its steady size) before timing.
        foreach (var fleet in fleets) fleet.Run(batches: 300);

        var times = fleets.Select(_ => new List<double>()).ToArray();
        var bytes = new long[fleets.Length];
        for (var round = 0; round < rounds; round++)
        {
            for (var f = 0; f < fleets.Length; f++)
            {
                const int batches = 200;
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var sw = Stopwatch.StartNew();
                fleets[f].Run(batches);
                times[f].Add(sw.Elapsed.TotalNanoseconds / (batches * (double)BatchSize));
                bytes[f] += GC.GetAllocatedBytesForCurrentThread() - allocated;
            }
        }

        for (var f = 0; f < fleets.Length; f++)
        {
            times[f].Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{sizes[f],9:N0} workloads: median {times[f][times[f].Count / 2]:F0} ns/event (min {times[f][0]:F0}), {(double)bytes[f] / rounds / 200 / BatchSize:F1} B/event, {fleets[f].Found} findings"));
        }
    }

    private sealed class Fleet
    {
        private static readonly (NetAddress Address, ushort Port, FlowProtocol Protocol)[] Services =
        [
            (NetAddress.FromV4(10, 0, 2, 10), 5432, FlowProtocol.Tcp),
            (NetAddress.FromV4(10, 0, 4, 7), 6379, FlowProtocol.Tcp),
            (NetAddress.FromV4(10, 0, 5, 5), 8443, FlowProtocol.Tcp),
            (NetAddress.FromV4(10, 0, 6, 8), 5672, FlowProtocol.Tcp),
            (NetAddress.FromV4(192, 0, 2, 10), 443, FlowProtocol.Tcp),
            (NetAddress.FromV4(192, 0, 2, 20), 443, FlowProtocol.Tcp),
            (NetAddress.FromV4(10, 0, 0, 2), 53, FlowProtocol.Udp),
            (NetAddress.FromV4(10, 0, 0, 3), 53, FlowProtocol.Udp),
        ];

        // Batches are generated once (grouped by workload, as a request's are) and replayed shifted in time.
        private const int Generated = 100;
        private readonly WorkloadDetection[] _workloads;
        private readonly (int Workload, FlowEvent[] Events)[][] _batches;
        private readonly FlowEvent[] _scratch = new FlowEvent[BatchSize];
        private readonly List<Finding> _findings = [];
        private readonly Random _random = new(7);
        private long _replayed;

        public Fleet(int workloads)
        {
            var settings = new DetectionSettings();
            _workloads = [.. Enumerable.Range(0, workloads).Select(w => new WorkloadDetection($"load-w{w}", settings))];
            var startMs = 1_795_841_277_000;
            _batches = new (int, FlowEvent[])[Generated][];
            for (var b = 0; b < Generated; b++)
            {
                var perWorkload = new Dictionary<int, List<FlowEvent>>();
                for (var i = 0; i < BatchSize; i++)
                {
                    var w = _random.Next(workloads);
                    if (!perWorkload.TryGetValue(w, out var list)) perWorkload[w] = list = [];
                    list.Add(Event(w, startMs + (b * BatchSpanMs) + (BatchSpanMs * i / BatchSize)));
                }

                _batches[b] = [.. perWorkload.OrderBy(p => p.Key).Select(p => (p.Key, p.Value.ToArray()))];
            }
        }

        public long Found { get; private set; }

        public void Run(int batches)
        {
            for (var b = 0; b < batches; b++, _replayed++)
            {
                var offsetMs = _replayed / Generated * Generated * BatchSpanMs;
                foreach (var (w, events) in _batches[_replayed % Generated])
                {
                    var shifted = _scratch.AsSpan(0, events.Length);
                    for (var i = 0; i < events.Length; i++) shifted[i] = events[i] with { TimeMs = events[i].TimeMs + offsetMs };
                    var workload = _workloads[w];
                    workload.Observe(shifted, long.MaxValue);
                    _findings.Clear();
                    workload.Collect(_findings);
                    Found += _findings.Count;
                    _ = workload.TakeSignals();
                }
            }
        }

        private FlowEvent Event(int workload, long timeMs)
        {
            var self = NetAddress.FromV4(10, (byte)(64 + ((workload >> 16) & 63)), (byte)(workload >> 8), (byte)workload);
            var kind = _random.Next(100);
            var pick = _random.Next();
            if (kind < 80)
            {
                var (address, port, protocol) = Services[pick % Services.Length];
                return new FlowEvent(timeMs, self, 50_000, address, port, protocol, FlowState.Established, 4_000, 10);
            }

            var state = (pick & 16) == 0 ? FlowState.Attempted : FlowState.Rejected;
            if (kind < 95)
            {
                var target = NetAddress.FromV4(10, 0, 30, (byte)(1 + ((workload + (pick % 6)) % 64)));
                var port = (pick & 32) == 0 ? (ushort)8080 : (ushort)9200;
                return new FlowEvent(timeMs, self, 50_000, target, port, FlowProtocol.Tcp, state, 60, 1);
            }

            var publicTarget = NetAddress.FromV4(192, 0, 2, (byte)(100 + ((workload + (pick % 3)) % 16)));
            return new FlowEvent(timeMs, self, 50_000, publicTarget, 443, FlowProtocol.Tcp, state, 60, 1);
        }
    }
}

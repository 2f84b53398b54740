using System.Globalization;

namespace OrleansDetect.Detection;

/// <summary>
/// Destinations of one address bucket across the fleet: which workloads probed which ports of each, with failures, on
/// event time, for a distributed-scan grain. Plain C#, single-threaded, bounded by
/// <see cref="FleetOptions.MaxProbesPerBucket"/> entries.
/// </summary>
/// <remarks>
/// Same window-close rule as <see cref="FleetSweepWindow"/>: the bucket's watermark is the slowest clock among the
/// workloads it holds probes of; a probe leaves once that watermark passes its time plus
/// <see cref="FleetOptions.ScanWindow"/>, or once the window plus <see cref="FleetOptions.Grace"/> of wall-clock time
/// passed since it arrived.
/// </remarks>
public sealed class DistributedScanWindow
{
    private static readonly string[] Mitre = ["T1046"];
    private const int Listed = 20;

    private readonly FleetOptions _options;
    private readonly long _windowMs;
    private readonly long _wallLifetimeMs;
    private readonly Dictionary<Target, TargetState> _targets = [];
    private readonly Dictionary<string, long> _clocks = new(StringComparer.Ordinal);
    private int _entries;
    // Scratch reused by every judgement: the bucket grain judges after every signal batch, over every workload it holds.
    private readonly HashSet<ushort> _portScratch = [];
    private readonly HashSet<string> _liveScratch = new(StringComparer.Ordinal);

    public DistributedScanWindow(FleetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _windowMs = (long)options.ScanWindow.TotalMilliseconds;
        _wallLifetimeMs = _windowMs + (long)options.Grace.TotalMilliseconds;
    }

    /// <summary>The bucket a destination belongs to: a stable mix of its bits, the same on every silo.</summary>
    public static int Bucket(NetAddress dst, int buckets)
    {
        var mixed = (dst.Hi * 0x9E37_79B9_7F4A_7C15UL) ^ (dst.Lo * 0xC2B2_AE3D_27D4_EB4FUL);
        return (int)((mixed ^ (mixed >> 29)) % (ulong)buckets);
    }

    /// <summary>(destination, workload, port) entries held.</summary>
    public int TrackedEntries => _entries;

    /// <summary>Events dropped because the bucket was full.</summary>
    public long Dropped { get; private set; }

    public void Add(string workload, long workloadClockMs, ProbeSignal probe, long wallNowMs)
    {
        ArgumentNullException.ThrowIfNull(workload);
        _clocks[workload] = Math.Max(_clocks.GetValueOrDefault(workload, long.MinValue), workloadClockMs);
        var key = new Target(probe.Protocol, probe.Dst);
        if (!_targets.TryGetValue(key, out var target))
        {
            if (_entries >= _options.MaxProbesPerBucket)
            {
                Dropped++;
                return;
            }

            target = new TargetState();
            _targets.Add(key, target);
        }

        if (!target.Probes.TryGetValue(workload, out var ports))
        {
            ports = [];
            target.Probes.Add(workload, ports);
        }

        if (!ports.ContainsKey(probe.Port) && _entries >= _options.MaxProbesPerBucket)
        {
            Dropped++;
            return;
        }

        if (ports.TryGetValue(probe.Port, out var seen))
        {
            if (probe.TimeMs > seen.TimeMs) ports[probe.Port] = new Seen(probe.TimeMs, wallNowMs);
        }
        else
        {
            ports.Add(probe.Port, new Seen(probe.TimeMs, wallNowMs));
            _entries++;
        }

        target.Grown = true;
    }

    /// <summary>Drops what left the window, then adds a finding for each destination that became (or grew as) a distributed scan.</summary>
    public void Judge(long wallNowMs, List<Finding> findings)
    {
        ArgumentNullException.ThrowIfNull(findings);
        Expire(wallNowMs);
        foreach (var (key, target) in _targets)
        {
            if (!target.Grown) continue;
            target.Grown = false;
            var workloads = target.Probes.Count;
            if (workloads < _options.ScanWorkloads) continue;
            // A destination many workloads probe on a port or two (a shared service that is down) grows with nearly
            // every signal batch and never becomes a finding: its ports are counted without building the finding's set.
            _portScratch.Clear();
            foreach (var p in target.Probes.Values)
            {
                foreach (var port in p.Keys) _portScratch.Add(port);
            }

            var distinct = _portScratch.Count;
            if (distinct < _options.ScanPorts || (workloads <= target.ReportedWorkloads && distinct <= target.ReportedPorts)) continue;
            target.ReportedWorkloads = workloads;
            target.ReportedPorts = distinct;
            findings.Add(Describe(key, target, new SortedSet<int>(_portScratch.Select(static p => (int)p))));
        }
    }

    private Finding Describe(Target key, TargetState target, SortedSet<int> ports)
    {
        var names = target.Probes.Keys.Order(StringComparer.Ordinal).ToList();
        var times = target.Probes.Values.SelectMany(static p => p.Values).Select(static s => s.TimeMs).ToList();
        return new Finding
        {
            Key = new AlertKey { Subject = AlertSubject.Fleet(key.Dst.ToString()), Type = DetectionTypes.DistributedScan, Protocol = key.Protocol, Target = key.Dst },
            Severity = ports.Count >= 100 ? Severity.High : Severity.Medium,
            DistinctTargets = ports.Count,
            SampleTargets = [.. ports.Take(Listed).Select(static p => p.ToString(CultureInfo.InvariantCulture))],
            FailedAttempts = times.Count,
            WindowStartMs = times.Min(),
            WindowEndMs = times.Max(),
            Threshold = _options.ScanPorts,
            ThresholdReason = string.Create(CultureInfo.InvariantCulture,
                $"{_options.ScanWorkloads} workloads probing {_options.ScanPorts} distinct ports of one destination within {_options.ScanWindow.TotalMinutes:0.#} min (Detection:Fleet:ScanWorkloads, ScanPorts)"),
            Mitre = Mitre,
            Evidence = new Dictionary<string, string>
            {
                [FleetEvidence.Workloads] = string.Join(", ", names.Take(Listed)),
                [FleetEvidence.PortsPerWorkload] = string.Join("; ", names.Take(Listed).Select(n =>
                    $"{n}: {string.Join(", ", target.Probes[n].Keys.Order().Take(Listed))}")),
                [FleetEvidence.WorkloadCount] = names.Count.ToString(CultureInfo.InvariantCulture),
            },
        };
    }

    private void Expire(long wallNowMs)
    {
        var watermark = long.MaxValue;
        foreach (var clock in _clocks.Values) watermark = Math.Min(watermark, clock);
        var live = _liveScratch;
        live.Clear();
        foreach (var (key, target) in _targets)
        {
            foreach (var (workload, ports) in target.Probes)
            {
                foreach (var (port, seen) in ports)
                {
                    if (watermark > seen.TimeMs + _windowMs || wallNowMs - seen.ArrivedWallMs > _wallLifetimeMs)
                    {
                        ports.Remove(port);
                        _entries--;
                    }
                }

                if (ports.Count == 0) target.Probes.Remove(workload);
                else live.Add(workload);
            }

            if (target.Probes.Count == 0) _targets.Remove(key);
            else if (target.Probes.Count < _options.ScanWorkloads) target.ReportedWorkloads = target.ReportedPorts = 0;
        }

        foreach (var workload in _clocks.Keys)
        {
            if (!live.Contains(workload)) _clocks.Remove(workload);
        }
    }

    private readonly record struct Target(FlowProtocol Protocol, NetAddress Dst);

    private readonly record struct Seen(long TimeMs, long ArrivedWallMs);

    private sealed class TargetState
    {
        public Dictionary<string, Dictionary<ushort, Seen>> Probes { get; } = new(StringComparer.Ordinal);
        public bool Grown;
        public int ReportedWorkloads;
        public int ReportedPorts;
    }
}

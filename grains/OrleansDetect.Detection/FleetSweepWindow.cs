using System.Globalization;

namespace OrleansDetect.Detection;

/// <summary>
/// One (protocol, port) across the fleet: which workloads swept it, on event time, for a fleet grain. Plain C#,
/// single-threaded, bounded by <see cref="FleetOptions.MaxWorkloadsPerPort"/>.
/// </summary>
/// <remarks>
/// Window-close rule: each workload's contribution carries its sweep's event time and the workload's clock. The
/// window's watermark is the slowest contributing workload's clock; a contribution leaves once that watermark passes
/// its event time plus <see cref="FleetOptions.SweepWindow"/>, or once <see cref="FleetOptions.Grace"/> plus the window
/// of wall-clock time passed since it last arrived (a quiet workload cannot hold the window open). Workloads count
/// together when their sweeps lie within one window of each other.
/// </remarks>
public sealed class FleetSweepWindow
{
    private static readonly string[] Mitre = ["T1046", "T1595.001"];
    private const int ListedWorkloads = 20;

    private readonly FleetOptions _options;
    private readonly FlowProtocol _protocol;
    private readonly int _port;
    private readonly long _windowMs;
    private readonly long _wallLifetimeMs;
    private readonly Dictionary<string, Contribution> _workloads = new(StringComparer.Ordinal);
    private int _reportedWorkloads;
    private Severity _reportedSeverity;

    public FleetSweepWindow(FleetOptions options, FlowProtocol protocol, int port)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _protocol = protocol;
        _port = port;
        _windowMs = (long)options.SweepWindow.TotalMilliseconds;
        _wallLifetimeMs = _windowMs + (long)options.Grace.TotalMilliseconds;
    }

    /// <summary>The fleet subject a port's alerts are about: "tcp/445".</summary>
    public static string Group(FlowProtocol protocol, int port) => string.Create(CultureInfo.InvariantCulture, $"{protocol.Name()}/{port}");

    public int TrackedWorkloads => _workloads.Count;

    /// <summary>The slowest contributing workload's clock (<see cref="long.MinValue"/> when empty).</summary>
    public long WatermarkMs => _workloads.Count == 0 ? long.MinValue : _workloads.Values.Min(static c => c.ClockMs);

    /// <summary>Counts one workload's sweep of this port (a newer sweep replaces its older one).</summary>
    public void Add(string workload, long workloadClockMs, SweepSignal sweep, long wallNowMs)
    {
        ArgumentNullException.ThrowIfNull(workload);
        if (_workloads.TryGetValue(workload, out var known))
        {
            known.ClockMs = Math.Max(known.ClockMs, workloadClockMs);
            if (sweep.WindowEndMs >= known.Sweep.WindowEndMs) known.Sweep = sweep;
            known.ArrivedWallMs = wallNowMs;
            return;
        }

        if (_workloads.Count >= _options.MaxWorkloadsPerPort) return;
        _workloads.Add(workload, new Contribution { Sweep = sweep, ClockMs = workloadClockMs, ArrivedWallMs = wallNowMs });
    }

    /// <summary>Drops what left the window, then returns a finding when enough workloads swept within one window and that is news.</summary>
    public Finding? Judge(long wallNowMs)
    {
        Expire(wallNowMs);
        var best = BestWindow();
        if (best.Count < _options.SweepWorkloads)
        {
            if (_workloads.Count < _options.SweepWorkloads) _reportedWorkloads = 0;
            return null;
        }

        var severity = best.Count >= _options.SweepHighWorkloads || best.Any(static c => c.Value.Sweep.Severity == Severity.High) ? Severity.High : Severity.Medium;
        if (best.Count <= _reportedWorkloads && severity <= _reportedSeverity) return null;
        _reportedWorkloads = best.Count;
        _reportedSeverity = severity > _reportedSeverity ? severity : _reportedSeverity;
        best.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var group = Group(_protocol, _port);
        var scopes = best.Select(static c => c.Value.Sweep.SweepKey.Scope).Distinct().ToArray();
        return new Finding
        {
            Key = new AlertKey { Subject = AlertSubject.Fleet(group), Type = DetectionTypes.FleetSweep, Protocol = _protocol, Port = _port },
            Severity = severity,
            DistinctTargets = best.Count,
            SampleTargets = [.. best.Take(ListedWorkloads).Select(static c => c.Key)],
            FailedAttempts = best.Sum(static c => c.Value.Sweep.DistinctTargets),
            WindowStartMs = best.Min(static c => c.Value.Sweep.WindowEndMs),
            WindowEndMs = best.Max(static c => c.Value.Sweep.WindowEndMs),
            Threshold = _options.SweepWorkloads,
            ThresholdReason = string.Create(CultureInfo.InvariantCulture,
                $"{_options.SweepWorkloads} workloads sweeping {group} within {_options.SweepWindow.TotalMinutes:0.#} min (Detection:Fleet:SweepWorkloads)"),
            Mitre = Mitre,
            Related = [.. best.Take(ListedWorkloads).Select(static c => c.Value.Sweep.SweepKey)],
            Evidence = new Dictionary<string, string>
            {
                [FleetEvidence.Workloads] = string.Join(", ", best.Select(static c => c.Key).Take(ListedWorkloads)),
                [FleetEvidence.Scopes] = string.Join(", ", scopes),
                [FleetEvidence.TargetsPerWorkload] = string.Join(", ", best.Take(ListedWorkloads).Select(static c =>
                    string.Create(CultureInfo.InvariantCulture, $"{c.Key}: {c.Value.Sweep.DistinctTargets}"))),
            },
        };
    }

    private void Expire(long wallNowMs)
    {
        var watermark = WatermarkMs;
        foreach (var (workload, c) in _workloads)
        {
            if (watermark > c.Sweep.WindowEndMs + _windowMs || wallNowMs - c.ArrivedWallMs > _wallLifetimeMs) _workloads.Remove(workload);
        }
    }

    /// <summary>The most workloads whose sweeps lie within one window of each other.</summary>
    private List<KeyValuePair<string, Contribution>> BestWindow()
    {
        var all = _workloads.ToList();
        all.Sort(static (a, b) => a.Value.Sweep.WindowEndMs.CompareTo(b.Value.Sweep.WindowEndMs));
        int bestStart = 0, bestCount = 0, start = 0;
        for (var end = 0; end < all.Count; end++)
        {
            while (all[end].Value.Sweep.WindowEndMs - all[start].Value.Sweep.WindowEndMs > _windowMs) start++;
            if (end - start + 1 > bestCount)
            {
                bestCount = end - start + 1;
                bestStart = start;
            }
        }

        return all.GetRange(bestStart, bestCount);
    }

    private sealed class Contribution
    {
        public SweepSignal Sweep;
        public long ClockMs;
        public long ArrivedWallMs;
    }
}

/// <summary>Evidence names of fleet findings.</summary>
public static class FleetEvidence
{
    public const string Workloads = "workloads";
    public const string Scopes = "scopes";
    public const string TargetsPerWorkload = "targets per workload";
    public const string PortsPerWorkload = "ports per workload";
    public const string WorkloadCount = "workload count";
}

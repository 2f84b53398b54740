using System.Globalization;

namespace OrleansDetect.Detection;

/// <summary>
/// Folds a scanning workload's sweeps and scans into one growing incident: the first <see cref="IncidentOptions.FoldAfter"/>
/// alert keys stand alone; once a round's findings would exceed that, every sweep and scan finding of the workload
/// (new or update) becomes part of one <c>recon-incident</c> whose evidence lists each per-port and per-host finding
/// and whose counts grow, until <see cref="IncidentOptions.Interval"/> of event time passes without one. Bounded by
/// <see cref="IncidentOptions.MaxListedFindings"/>.
/// </summary>
public sealed class ReconIncident
{
    private static readonly string[] Mitre = ["T1046", "T1595"];
    private const int SampleSize = 20;
    private const int MaxCountedHosts = 10_000;
    private const int MaxCountedKeys = 100_000;

    private readonly IncidentOptions _options;
    private readonly AlertSubject _subject;
    private readonly long _intervalMs;
    private readonly Dictionary<string, Folded> _folded = new(StringComparer.Ordinal);
    private readonly HashSet<string> _standalone = new(StringComparer.Ordinal);
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<int> _ports = [];
    private readonly HashSet<NetAddress> _hosts = [];
    private readonly List<Finding> _kept = [];
    private bool _open;
    private long _lastMs = long.MinValue;
    private long _startMs;
    private int _foldedFindings;
    private int _listedSweeps;
    private int _listedScans;
    private int _maxSweepTargets;
    private int _maxScanPorts;
    private Severity _severity;
    private int _attempts;
    private bool _duringLearning;

    public ReconIncident(IncidentOptions options, AlertSubject subject)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _subject = subject;
        _intervalMs = (long)options.Interval.TotalMilliseconds;
    }

    /// <summary>True while findings are being folded into the incident.</summary>
    public bool IsOpen => _open;

    /// <summary>Replaces this round's sweep and scan findings in <paramref name="found"/> by the incident, when one is open or opens.</summary>
    public void Fold(List<Finding> found, long watermarkMs, bool duringLearning)
    {
        ArgumentNullException.ThrowIfNull(found);
        if (!_options.Enabled) return;
        if (_lastMs != long.MinValue && watermarkMs - _lastMs > _intervalMs) Close();

        var probes = 0;
        foreach (var f in found)
        {
            if (IsFoldable(f)) probes++;
        }

        if (probes == 0) return;
        if (!_open)
        {
            var keys = new HashSet<string>(_standalone, StringComparer.Ordinal);
            foreach (var f in found)
            {
                if (IsFoldable(f)) keys.Add(f.Key.Fingerprint);
            }

            if (keys.Count <= _options.FoldAfter)
            {
                _standalone.UnionWith(keys);
                _lastMs = watermarkMs;
                return;
            }

            _open = true;
            _startMs = long.MaxValue;
        }

        _kept.Clear();
        foreach (var f in found)
        {
            if (IsFoldable(f)) Add(f);
            else _kept.Add(f);
        }

        found.Clear();
        found.AddRange(_kept);
        _lastMs = watermarkMs;
        _duringLearning |= duringLearning;
        found.Add(Describe(watermarkMs));
    }

    private static bool IsFoldable(Finding f) =>
        f.Type is DetectionTypes.PortSweep or DetectionTypes.PortScan or DetectionTypes.SlowPortSweep or DetectionTypes.SlowPortScan;

    private void Add(Finding f)
    {
        _foldedFindings++;
        _attempts = (int)Math.Min(int.MaxValue, (long)_attempts + f.FailedAttempts);
        if (f.Severity > _severity) _severity = f.Severity;
        _startMs = Math.Min(_startMs, f.WindowStartMs);
        var isScan = f.Type is DetectionTypes.PortScan or DetectionTypes.SlowPortScan;
        if (isScan)
        {
            if (f.Key.Target is { } host && _hosts.Count < MaxCountedHosts) _hosts.Add(host);
            _maxScanPorts = Math.Max(_maxScanPorts, f.DistinctTargets);
        }
        else
        {
            if (f.Key.Port is { } port) _ports.Add(port); // at most 65,536
            _maxSweepTargets = Math.Max(_maxSweepTargets, f.DistinctTargets);
        }

        var fingerprint = f.Key.Fingerprint;
        if (_keys.Count < MaxCountedKeys) _keys.Add(fingerprint);
        if (_folded.TryGetValue(fingerprint, out var known))
        {
            known.Finding = f;
        }
        else if ((isScan ? _listedScans : _listedSweeps) < _options.MaxListedFindings / 2)
        {
            // Half the list for sweeps, half for scans: a masscan's thousand ports must not hide its hosts.
            _folded.Add(fingerprint, new Folded { Finding = f });
            if (isScan) _listedScans++;
            else _listedSweeps++;
        }
    }

    private Finding Describe(long watermarkMs)
    {
        var listed = _folded.Values.Select(static v => v.Finding)
            .OrderBy(static f => f.Type, StringComparer.Ordinal).ThenBy(static f => f.Key.Port ?? 0).ThenBy(static f => f.Key.TargetOrScope, StringComparer.Ordinal)
            .ToList();
        var ports = _ports.Order().ToList();
        var hosts = _hosts.Select(static h => h.ToString()).Order(StringComparer.Ordinal).ToList();
        return new Finding
        {
            Key = new AlertKey { Subject = _subject, Type = DetectionTypes.ReconIncident, Protocol = FlowProtocol.Tcp, Scope = "scanner" },
            Severity = _severity,
            DistinctTargets = _keys.Count,
            SampleTargets = [.. ports.Take(SampleSize).Select(static p => p.ToString(CultureInfo.InvariantCulture)).Concat(hosts.Take(SampleSize))],
            FailedAttempts = _attempts,
            WindowStartMs = _startMs == long.MaxValue ? watermarkMs : _startMs,
            WindowEndMs = watermarkMs,
            Threshold = _options.FoldAfter + 1,
            ThresholdReason = string.Create(CultureInfo.InvariantCulture,
                $"more than {_options.FoldAfter} sweep/scan alert keys from one workload within {_options.Interval.TotalMinutes:0} min (Detection:Incident:FoldAfter)"),
            Mitre = Mitre,
            DuringLearning = _duringLearning,
            Evidence = new Dictionary<string, string>
            {
                [IncidentEvidence.PortsSwept] = Count(_ports.Count, ports.Select(static p => p.ToString(CultureInfo.InvariantCulture))),
                [IncidentEvidence.HostsScanned] = Count(_hosts.Count, hosts),
                [IncidentEvidence.FoldedFindings] = _foldedFindings.ToString(CultureInfo.InvariantCulture),
                [IncidentEvidence.MostTargetsOnAPort] = _maxSweepTargets.ToString(CultureInfo.InvariantCulture),
                [IncidentEvidence.MostPortsOnAHost] = _maxScanPorts.ToString(CultureInfo.InvariantCulture),
                [IncidentEvidence.Findings] = string.Join("; ", listed.Select(Summary)),
            },
        };
    }

    /// <summary>"port-sweep tcp/22 public: 50 (medium)", "port-scan 10.0.0.5: 120 (high)".</summary>
    private static string Summary(Finding f) => string.Create(CultureInfo.InvariantCulture,
        $"{f.Type} {(f.Key.Target is null ? $"{f.Key.PortLabel} {f.Key.Scope}" : $"{f.Key.Protocol.Name()} {f.Key.Target}")}: {f.DistinctTargets} ({f.Severity.Name()})");

    private static string Count(int count, IEnumerable<string> listed)
    {
        var shown = listed.Take(SampleSize).ToList();
        if (count == 0) return "0";
        return count > shown.Count
            ? string.Create(CultureInfo.InvariantCulture, $"{count}: {string.Join(", ", shown)}, …")
            : string.Create(CultureInfo.InvariantCulture, $"{count}: {string.Join(", ", shown)}");
    }

    private void Close()
    {
        _open = false;
        _folded.Clear();
        _keys.Clear();
        _standalone.Clear();
        _ports.Clear();
        _hosts.Clear();
        _foldedFindings = 0;
        _listedSweeps = 0;
        _listedScans = 0;
        _maxSweepTargets = 0;
        _maxScanPorts = 0;
        _severity = 0;
        _attempts = 0;
        _duringLearning = false;
    }

    private sealed class Folded
    {
        public Finding Finding = null!;
    }
}

/// <summary>Evidence names of recon incidents.</summary>
public static class IncidentEvidence
{
    public const string PortsSwept = "ports swept";
    public const string HostsScanned = "hosts scanned";
    public const string FoldedFindings = "findings folded";
    public const string MostTargetsOnAPort = "most targets on one port";
    public const string MostPortsOnAHost = "most ports on one host";
    public const string Findings = "per-port and per-host findings";
}

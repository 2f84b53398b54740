using System.Runtime.InteropServices;

namespace OrleansDetect.Detection;

/// <summary>What one batch did to a workload's clock.</summary>
/// <param name="Accepted">Events counted (including flows towards the workload, which are observed but not blamed on it).</param>
/// <param name="Late">Events older than the workload's clock minus <see cref="EventClockOptions.AllowedLateness"/>.</param>
/// <param name="Future">Events stamped beyond the latest allowed time (<see cref="EventClockOptions.MaxClockSkew"/> ahead of the silo's clock).</param>
public readonly record struct BatchOutcome(int Accepted, int Late, int Future);

/// <summary>A finding an operator's suppression rule swallowed.</summary>
public readonly record struct SuppressedFinding(Finding Finding, int Rule);

/// <summary>What a workload persists: its baseline and its event counters.</summary>
public sealed class WorkloadSnapshot
{
    public required BaselineSnapshot Baseline { get; init; }
    public long EventsSeen { get; init; }

    /// <summary>Event time of the earliest and newest admitted event; <see cref="long.MinValue"/> before any.</summary>
    public long FirstEventMs { get; init; } = long.MinValue;
    public long LastEventMs { get; init; } = long.MinValue;
}

/// <summary>
/// Everything one workload detects with, on one event clock: its own address (so inbound flows are not blamed on
/// it), the port-sweep, port-scan and encrypted-DNS detectors, and the learned baseline. Plain C#, single-threaded:
/// the workload grain feeds it batches, reports what <see cref="Collect"/> finds, and persists <see cref="Export"/>.
/// </summary>
/// <remarks>
/// Per event: reject it if stamped beyond the latest allowed time; skip it (counted) if it runs towards the
/// workload; reject it if older than the clock allows; close the baseline window it ends; then every detector
/// sees it. Windows live in memory only; <see cref="Export"/> holds what a restart must not forget.
/// </remarks>
public sealed partial class WorkloadDetection
{
    private readonly DetectionSettings _settings;
    private readonly string _workload;
    private readonly EventClock _clock;
    private readonly WorkloadAddresses _addresses = new();
    private readonly WorkloadBaseline _baseline;
    private readonly PortSweepDetector _sweeps;
    private readonly PortScanDetector _scans;
    private readonly EncryptedDnsDetector _dns;
    private readonly ReconChainDetector _chains;
    private readonly HashSet<ProbeSignal>? _probes;
    private readonly int _maxProbes;
    // When each (destination, port) was last told the fleet (event time): a workload that keeps failing against the
    // same few targets repeats itself every batch, and told again only every ProbeRefreshMs it stops swamping the
    // silo's aggregator. Bounded by MaxProbesPerBatch entries; created on the first failed probe.
    private Dictionary<ProbeSignal, long>? _probedAt;
    private readonly long _probeRefreshMs;
    private readonly List<SweepSignal> _sweepSignals = [];
    private readonly ReconIncident _incident;
    // Scratch for one synchronous Observe/Collect call, shared per thread so a million idle workloads do not hold
    // a million scratch lists.
    [ThreadStatic] private static List<FanOutSample>? t_samples;
    [ThreadStatic] private static List<Finding>? t_found;

    private readonly long[] _suppressed;
    private long _eventsSeen;
    private long _futureEvents;
    private long _firstEventMs = long.MaxValue;
    private long _lastEventMs = long.MinValue;

    public WorkloadDetection(string workload, DetectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(settings);
        _workload = workload;
        _settings = settings;
        var subject = AlertSubject.Workload(workload);
        _clock = new EventClock(settings.Clock.AllowedLateness);
        _baseline = new WorkloadBaseline(settings.Baseline);
        _sweeps = new PortSweepDetector(settings.Sweep, settings.Scope, subject, _baseline, settings.Slow);
        _scans = new PortScanDetector(settings.Scan, settings.Scope, subject, settings.Slow);
        _dns = new EncryptedDnsDetector(settings.EncryptedDns, settings.Resolvers, _baseline, subject);
        _chains = new ReconChainDetector(settings.ReconChain, subject);
        _incident = new ReconIncident(settings.Incident, subject);
        if (settings.Fleet.Enabled)
        {
            _probes = [];
            _maxProbes = settings.Fleet.MaxProbesPerBatch;
            _probeRefreshMs = (long)settings.Fleet.ProbeRefresh.TotalMilliseconds;
        }
        _suppressed = settings.Suppression.Count == 0 ? [] : new long[settings.Suppression.Count];
    }

    /// <summary>The learned baseline (read it; the detection feeds it).</summary>
    public WorkloadBaseline Baseline => _baseline;

    /// <summary>Bumped by every change worth persisting; the grain writes when it moved.</summary>
    public long Changes => _baseline.Changes;

    public long EventsSeen => _eventsSeen;

    public long WatermarkMs => _clock.WatermarkMs;

    /// <summary>Window entries the sweep and scan detectors hold (each bounded by its options).</summary>
    public int TrackedWindowEntries => _sweeps.TrackedTargets + _scans.TrackedPorts;

    /// <summary>Targets the slow sweep and scan trackers hold (each bounded by <see cref="SlowProbeOptions.MaxTrackedTargets"/>).</summary>
    public int TrackedSlowEntries => _sweeps.TrackedSlowTargets + _scans.TrackedSlowPorts;

    /// <summary>Runs a batch through the workload's clock and detectors; findings wait for <see cref="Collect"/>.</summary>
    /// <param name="latestAllowedMs">Events stamped after this (Unix ms) are rejected: one bogus timestamp must not drag the clock into the future.</param>
    public BatchOutcome Observe(ReadOnlySpan<FlowEvent> events, long latestAllowedMs)
    {
        var late = 0;
        var future = 0;
        foreach (ref readonly var e in events)
        {
            if (e.TimeMs > latestAllowedMs)
            {
                future++;
                continue;
            }

            // Flows towards the workload (scanners hitting it) are not the workload's own probing.
            if (_addresses.ObserveIsInbound(in e)) continue;

            if (!_clock.Admit(e.TimeMs))
            {
                late++;
                continue;
            }

            var watermarkMs = _clock.WatermarkMs;
            if (_baseline.EndsWindow(e.TimeMs)) CloseBaselineWindow(watermarkMs);
            _baseline.Advance(e.TimeMs);
            _sweeps.Observe(in e, watermarkMs);
            _scans.Observe(in e, watermarkMs);
            _dns.Observe(in e);
            _chains.Observe(in e);
            if (_probes is not null && e.IsFailed && e.Protocol != FlowProtocol.Icmp && _probes.Count < _maxProbes) ObserveProbe(in e);
            if (e.TimeMs < _firstEventMs) _firstEventMs = e.TimeMs;
            if (e.TimeMs > _lastEventMs) _lastEventMs = e.TimeMs;
        }

        var accepted = events.Length - late - future;
        _eventsSeen += accepted;
        _futureEvents += future;
        return new BatchOutcome(accepted, late, future);
    }

    /// <summary>
    /// Adds what the detectors found since the last call to <paramref name="report"/>, except findings an operator's
    /// suppression rule matches: those are counted (and listed in <paramref name="suppressed"/> when given).
    /// Sweeps and scans during learning are judged on the static thresholds alone, and say so.
    /// </summary>
    public void Collect(List<Finding> report, List<SuppressedFinding>? suppressed = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var found = t_found ??= [];
        found.Clear();
        var duringLearning = !_baseline.IsLearned;
        _sweeps.Collect(_clock.WatermarkMs, duringLearning, found);
        _scans.Collect(_clock.WatermarkMs, duringLearning, found);
        _dns.Collect(found);
        _chains.Collect(found, _clock.WatermarkMs, duringLearning);
        var kept = 0;
        for (var i = 0; i < found.Count; i++)
        {
            var finding = found[i];
            var rule = _settings.Suppression.Match(finding);
            if (rule < 0)
            {
                found[kept++] = finding;
                continue;
            }

            _suppressed[rule]++;
            suppressed?.Add(new SuppressedFinding(finding, rule));
        }

        found.RemoveRange(kept, found.Count - kept);

        // The fleet hears of every sweep, also one the workload's incident folds.
        if (_probes is not null)
        {
            foreach (var f in found)
            {
                if (f.Type is DetectionTypes.PortSweep or DetectionTypes.SlowPortSweep) _sweepSignals.Add(new SweepSignal(f.Key, f.Severity, f.DistinctTargets, f.WindowEndMs));
            }
        }

        _incident.Fold(found, _clock.WatermarkMs, duringLearning);
        report.AddRange(found);
        found.Clear();
    }

    /// <summary>
    /// What this workload tells the fleet since the last call: its sweep findings (collected, not suppressed) and
    /// its failed (destination, port) probes, deduplicated (at most <see cref="FleetOptions.MaxProbesPerBatch"/>); null
    /// when there is nothing to say or fleet detection is off.
    /// </summary>
    public ReconSignals? TakeSignals()
    {
        if (_probes is null || (_sweepSignals.Count == 0 && _probes.Count == 0)) return null;
        SweepSignal[] sweeps = [.. _sweepSignals];
        _sweepSignals.Clear();
        // Probes carry the workload's clock at the batch's end: a batch spans seconds, fleet windows minutes.
        var watermarkMs = _clock.WatermarkMs;
        var probes = new ProbeSignal[_probes.Count];
        var i = 0;
        foreach (var p in _probes) probes[i++] = p with { TimeMs = watermarkMs };
        var signals = new ReconSignals(_workload, watermarkMs, sweeps, probes);
        _probes.Clear();
        return signals;
    }

    private void ObserveProbe(in FlowEvent e)
    {
        // One probe per (destination, port) per batch, and none the fleet heard within ProbeRefresh; stamped when taken.
        if (_settings.Scope.Classify(e.Dst) == TargetScope.NotATarget) return;
        var probe = new ProbeSignal(e.Dst, e.Protocol, e.DstPort, 0);
        _probedAt ??= [];
        if (_probedAt.TryGetValue(probe, out var at) && e.TimeMs >= at && e.TimeMs - at < _probeRefreshMs) return;
        if (_probedAt.Count >= _maxProbes && !_probedAt.ContainsKey(probe)) ForgetProbes(e.TimeMs);
        _probedAt[probe] = e.TimeMs;
        _probes!.Add(probe);
    }

    /// <summary>Makes room: forgets the probes told longer than ProbeRefresh ago, or all of them when none is that old.</summary>
    private void ForgetProbes(long nowMs)
    {
        foreach (var (probe, at) in _probedAt!)
        {
            if (nowMs - at >= _probeRefreshMs || at > nowMs) _probedAt.Remove(probe);
        }

        if (_probedAt.Count >= _maxProbes) _probedAt.Clear();
    }

    /// <summary>The persisted form: the baseline and event counters (windows are not persisted).</summary>
    public WorkloadSnapshot Export() => new()
    {
        Baseline = _baseline.Export(),
        EventsSeen = _eventsSeen,
        FirstEventMs = _firstEventMs == long.MaxValue ? long.MinValue : _firstEventMs,
        LastEventMs = _lastEventMs,
    };

    /// <summary>Loads a snapshot into a fresh instance (before any event).</summary>
    public void Restore(WorkloadSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _baseline.Restore(snapshot.Baseline);
        _eventsSeen = snapshot.EventsSeen;
        if (snapshot.FirstEventMs != long.MinValue) _firstEventMs = snapshot.FirstEventMs;
        _lastEventMs = snapshot.LastEventMs;
    }

    /// <summary>The workload as <c>GET /api/v1/hosts/{id}</c> shows it.</summary>
    public WorkloadView View() => new()
    {
        Workload = _workload,
        EventsSeen = _eventsSeen,
        LateEvents = _clock.LateEvents,
        FutureEvents = _futureEvents,
        // A baseline stored before event times were kept (version 1) has events but no times until the next event.
        FirstEventTime = _firstEventMs == long.MaxValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(_firstEventMs),
        LastEventTime = _lastEventMs == long.MinValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(_lastEventMs),
        SweepWindows = [.. _sweeps.Windows().Select(w => new PortWindowView(w.Key.Protocol.Name(), w.Key.Port, w.Key.Scope.ToScopeName(), w.Distinct, w.Threshold))],
        InboundEvents = _addresses.InboundEvents,
        SuppressedDetections = _suppressed.Sum(),
        SuppressedByRule = [.. _suppressed.Select((count, rule) => new SuppressionCount(rule, _settings.Suppression.Reason(rule), count)).Where(c => c.Count > 0)],
        Baseline = BaselineViews.From(_baseline, _dns, _settings.Resolvers),
    };

    private void CloseBaselineWindow(long watermarkMs)
    {
        var samples = t_samples ??= [];
        samples.Clear();
        _sweeps.Sample(watermarkMs, samples);
        _baseline.CloseWindow(CollectionsMarshal.AsSpan(samples), _dns.CurrentWindow);
        _dns.StartWindow();
    }
}

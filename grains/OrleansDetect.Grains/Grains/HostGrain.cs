using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansDetect.Detectors;
using OrleansDetect.Diagnostics;

namespace OrleansDetect.Grains;

/// <summary>
/// One monitored workload. A thin shell: it feeds each batch through the workload's detectors and baseline
/// (plain C#, one thread, no locks), reports what they find to the alert grains unless a suppression rule
/// matches, and persists the baseline. Windows live in memory: a crash forgets at most one window's worth of
/// partial sweeps, and at most <see cref="BaselineOptions.WriteInterval"/> of baseline learning.
/// </summary>
/// <remarks>
/// Clock rule: an event stamped more than <see cref="EventClockOptions.MaxClockSkew"/> ahead of the silo's wall
/// clock is rejected and counted (it would drag the workload's clock into the future and make everything after
/// it late). Events in the past are fine — replays are — and a forward jump the wall clock agrees with is
/// accepted; the baseline skips the empty windows it jumped over instead of learning them as zero.
/// </remarks>
public sealed partial class HostGrain(
    [PersistentState("baseline", StorageNames.Baselines)] IPersistentState<BaselineState> stored,
    IOptions<PortSweepOptions> sweepOptions,
    IOptions<PortScanOptions> scanOptions,
    IOptions<BaselineOptions> baselineOptions,
    IOptions<EncryptedDnsOptions> dnsOptions,
    IOptions<EventClockOptions> clockOptions,
    NetworkScope scope,
    KnownResolvers knownResolvers,
    SuppressionRules suppressionRules,
    TimeProvider time,
    ILogger<HostGrain> logger) : Grain, IHostGrain
{
    private readonly List<SweepFinding> _sweepFindings = [];
    private readonly List<ScanFinding> _scanFindings = [];
    private readonly List<EncryptedDnsFinding> _dnsFindings = [];
    private readonly WorkloadAddresses _addresses = new();
    private PortSweepDetector _sweeps = null!;
    private PortScanDetector _scans = null!;
    private EncryptedDnsDetector _dns = null!;
    private WorkloadBaseline _baseline = null!;
    private long[] _suppressed = [];
    private string _workload = "";
    private long _eventsSeen;
    private long _futureEvents;
    private long _firstEventMs = long.MaxValue;
    private long _lastEventMs = long.MinValue;
    private long _writtenChanges;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _workload = this.GetPrimaryKeyString();
        _baseline = new WorkloadBaseline(baselineOptions.Value);
        _sweeps = new PortSweepDetector(sweepOptions.Value, scope) { ThresholdSource = _baseline };
        _scans = new PortScanDetector(scanOptions.Value, scope);
        _dns = new EncryptedDnsDetector(dnsOptions.Value, knownResolvers, _baseline);
        _suppressed = new long[suppressionRules.Count];
        if (stored.RecordExists)
        {
            _baseline.Restore(stored.State);
            _eventsSeen = stored.State.EventsSeen;
            if (stored.State.FirstEventMs != long.MinValue) _firstEventMs = stored.State.FirstEventMs;
            _lastEventMs = stored.State.LastEventMs;
        }

        _writtenChanges = _baseline.Changes;

        // Non-interleaving timer: it runs between calls, so at most one write is ever outstanding.
        var interval = baselineOptions.Value.WriteInterval;
        this.RegisterGrainTimer(static (grain, _) => grain.WriteBaselineIfChanged(), this, new GrainTimerCreationOptions(interval, interval));
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await WriteBaselineIfChanged();
    }

    public async Task<HostIngestResult> Ingest(FlowEvent[] events)
    {
        var late = 0;
        var future = 0;
        var latestAllowedMs = time.GetUtcNow().ToUnixTimeMilliseconds() + (long)clockOptions.Value.MaxClockSkew.TotalMilliseconds;
        foreach (ref readonly var e in events.AsSpan())
        {
            if (e.TimeMs > latestAllowedMs)
            {
                future++;
                continue;
            }

            // Flows towards the workload (scanners hitting it) are not the workload's own probing.
            if (_addresses.ObserveIsInbound(in e)) continue;

            var onTime = _sweeps.Observe(in e);
            _scans.Observe(in e);
            if (!onTime)
            {
                late++;
                continue;
            }

            _baseline.Advance(e.TimeMs, _sweeps);
            _dns.Observe(in e);
            if (e.TimeMs < _firstEventMs) _firstEventMs = e.TimeMs;
            if (e.TimeMs > _lastEventMs) _lastEventMs = e.TimeMs;
        }

        _eventsSeen += events.Length - late - future;
        if (future > 0)
        {
            _futureEvents += future;
            DetectTelemetry.FutureEvents.Add(future);
            LogFutureEvents(logger, future, clockOptions.Value.MaxClockSkew);
        }

        _sweepFindings.Clear();
        _scanFindings.Clear();
        _dnsFindings.Clear();
        _sweeps.Collect(_sweepFindings);
        _scans.Collect(_scanFindings);
        _dns.Collect(_dnsFindings);
        var rejected = late + future;
        if (_sweepFindings.Count == 0 && _scanFindings.Count == 0 && _dnsFindings.Count == 0)
        {
            return new HostIngestResult(events.Length - rejected, rejected, 0);
        }

        // Sweeps and scans during learning are judged on the static thresholds alone, and say so.
        var duringLearning = !_baseline.IsLearned;
        var reports = new List<Task<AlertRecord>>(_sweepFindings.Count + _scanFindings.Count + _dnsFindings.Count);
        foreach (var finding in _sweepFindings) Report(DetectionMapping.From(_workload, finding) with { DuringLearning = duringLearning }, reports);
        foreach (var finding in _scanFindings) Report(DetectionMapping.From(_workload, finding) with { DuringLearning = duringLearning }, reports);
        foreach (var finding in _dnsFindings) Report(DetectionMapping.From(_workload, finding), reports);
        await Task.WhenAll(reports);
        return new HostIngestResult(events.Length - rejected, rejected, reports.Count);
    }

    public Task<HostView> GetView()
    {
        var windows = _sweeps.Windows()
            .Select(w => new PortWindowView(DetectionReport.ProtocolName(w.Protocol), w.Port, w.Scope.ToScopeName(), w.Distinct, w.Threshold))
            .ToArray();
        return Task.FromResult(new HostView
        {
            Workload = _workload,
            EventsSeen = _eventsSeen,
            LateEvents = _sweeps.LateEvents,
            FutureEvents = _futureEvents,
            FirstEventTime = _eventsSeen == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(_firstEventMs),
            LastEventTime = _eventsSeen == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(_lastEventMs),
            SweepWindows = windows,
            InboundEvents = _addresses.InboundEvents,
            SuppressedDetections = _suppressed.Sum(),
            SuppressedByRule = [.. _suppressed.Select((count, rule) => new SuppressionCount(rule, suppressionRules.Reason(rule), count)).Where(c => c.Count > 0)],
            Baseline = BaselineViews.From(_baseline, _dns, knownResolvers),
        });
    }

    private void Report(DetectionReport detection, List<Task<AlertRecord>> reports)
    {
        var rule = suppressionRules.Match(detection);
        if (rule >= 0)
        {
            _suppressed[rule]++;
            DetectTelemetry.DetectionsSuppressed.Add(1,
                new KeyValuePair<string, object?>("reason", "rule"),
                new KeyValuePair<string, object?>("alert.type", detection.Type),
                new KeyValuePair<string, object?>("rule", rule.ToString(CultureInfo.InvariantCulture)));
            LogSuppressed(logger, detection.Type, rule);
            return;
        }

        LogDetection(logger, detection.Type, detection.Severity, detection.DistinctTargets);
        reports.Add(GrainFactory.GetGrain<IAlertGrain>(AlertIds.GrainKey(detection.Fingerprint)).Report(detection));
    }

    private async Task WriteBaselineIfChanged()
    {
        var changes = _baseline.Changes;
        if (changes == _writtenChanges)
        {
            return;
        }

        stored.State = _baseline.Export(_eventsSeen, _firstEventMs == long.MaxValue ? long.MinValue : _firstEventMs, _lastEventMs);
        await stored.WriteStateAsync();
        _writtenChanges = changes;
        DetectTelemetry.BaselineWrites.Add(1);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Detection {Type} {Severity} with {Distinct} distinct targets")]
    private static partial void LogDetection(ILogger logger, string type, Severity severity, int distinct);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Detection {Type} suppressed by rule {Rule}")]
    private static partial void LogSuppressed(ILogger logger, string type, int rule);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Count} events stamped more than {MaxClockSkew} ahead of the silo clock")]
    private static partial void LogFutureEvents(ILogger logger, int count, TimeSpan maxClockSkew);
}

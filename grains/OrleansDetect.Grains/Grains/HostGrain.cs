using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansDetect.Detectors;

namespace OrleansDetect.Grains;

/// <summary>
/// One monitored workload. A thin shell: it feeds each batch through the workload's detectors (plain C#, one
/// thread, no locks) and reports what they find to the alert grains. Windows live in memory: a crash or
/// deactivation forgets at most one window's worth of partial sweeps.
/// </summary>
public sealed partial class HostGrain(
    IOptions<PortSweepOptions> sweepOptions,
    IOptions<PortScanOptions> scanOptions,
    NetworkScope scope,
    ILogger<HostGrain> logger) : Grain, IHostGrain
{
    private readonly List<SweepFinding> _sweepFindings = [];
    private readonly List<ScanFinding> _scanFindings = [];
    private readonly WorkloadAddresses _addresses = new();
    private PortSweepDetector _sweeps = null!;
    private PortScanDetector _scans = null!;
    private string _workload = "";
    private long _eventsSeen;
    private long _firstEventMs = long.MaxValue;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _workload = this.GetPrimaryKeyString();
        _sweeps = new PortSweepDetector(sweepOptions.Value, scope);
        _scans = new PortScanDetector(scanOptions.Value, scope);
        return Task.CompletedTask;
    }

    public async Task<HostIngestResult> Ingest(FlowEvent[] events)
    {
        var late = 0;
        foreach (ref readonly var e in events.AsSpan())
        {
            // Flows towards the workload (scanners hitting it) are not the workload's own probing.
            if (_addresses.ObserveIsInbound(in e)) continue;

            var onTime = _sweeps.Observe(in e);
            _scans.Observe(in e);
            if (!onTime)
            {
                late++;
                continue;
            }

            if (e.TimeMs < _firstEventMs) _firstEventMs = e.TimeMs;
        }

        _eventsSeen += events.Length - late;

        _sweepFindings.Clear();
        _scanFindings.Clear();
        _sweeps.Collect(_sweepFindings);
        _scans.Collect(_scanFindings);
        if (_sweepFindings.Count == 0 && _scanFindings.Count == 0)
        {
            return new HostIngestResult(events.Length - late, late, 0);
        }

        var reports = new List<Task<AlertRecord>>(_sweepFindings.Count + _scanFindings.Count);
        foreach (var finding in _sweepFindings) reports.Add(Report(DetectionMapping.From(_workload, finding)));
        foreach (var finding in _scanFindings) reports.Add(Report(DetectionMapping.From(_workload, finding)));
        await Task.WhenAll(reports);
        return new HostIngestResult(events.Length - late, late, reports.Count);
    }

    public Task<HostView> GetView()
    {
        var windows = _sweeps.Windows()
            .Select(w => new PortWindowView(DetectionReport.ProtocolName(w.Protocol), w.Port, DetectionMapping.ScopeName(w.Scope), w.Distinct, w.Threshold))
            .ToArray();
        return Task.FromResult(new HostView
        {
            Workload = _workload,
            EventsSeen = _eventsSeen,
            LateEvents = _sweeps.LateEvents,
            FirstEventTime = _eventsSeen == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(_firstEventMs),
            LastEventTime = _eventsSeen == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(_sweeps.WatermarkMs),
            SweepWindows = windows,
            InboundEvents = _addresses.InboundEvents,
            SuppressedDetections = 0,
        });
    }

    private Task<AlertRecord> Report(DetectionReport detection)
    {
        LogDetection(logger, detection.Type, detection.Severity, detection.DistinctTargets);
        return GrainFactory.GetGrain<IAlertGrain>(AlertIds.GrainKey(detection.Fingerprint)).Report(detection);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Detection {Type} {Severity} with {Distinct} distinct targets")]
    private static partial void LogDetection(ILogger logger, string type, Severity severity, int distinct);
}

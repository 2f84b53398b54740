using Microsoft.Extensions.Logging;
using OrleansDetect.Detection;
using OrleansDetect.Grains.Alerts;
using OrleansDetect.Grains.Diagnostics;
using OrleansDetect.Grains.Fleet;
using OrleansDetect.Grains.Hosting;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// One monitored workload: a shell around its <see cref="WorkloadDetection"/>. It feeds each batch through it,
/// reports the findings to their alert grains, and persists the baseline from a timer (and on deactivation), so a
/// crash forgets at most one window's worth of partial sweeps and <see cref="BaselineOptions.WriteInterval"/> of
/// learning.
/// </summary>
// The grain type keeps its first name: stored baselines are keyed by grain id ("host/{workload}").
[GrainType("host")]
public sealed partial class WorkloadGrain(
    [PersistentState("baseline", StorageNames.Baselines)] IPersistentState<BaselineState> stored,
    DetectionSettings settings,
    TimeProvider time,
    ILogger<WorkloadGrain> logger) : Grain, IWorkloadGrain
{
    private readonly List<Finding> _findings = [];
    private readonly List<SuppressedFinding> _suppressed = [];
    private WorkloadDetection _detection = null!;
    private long _writtenChanges;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _detection = new WorkloadDetection(this.GetPrimaryKeyString(), settings);
        if (stored.RecordExists) _detection.Restore(stored.State.ToSnapshot());
        _writtenChanges = _detection.Changes;

        // Non-interleaving timer: it runs between calls, so at most one write is ever outstanding.
        var interval = settings.Baseline.WriteInterval;
        this.RegisterGrainTimer(static (grain, _) => grain.WriteBaselineIfChanged(), this, new GrainTimerCreationOptions(interval, interval));
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => WriteBaselineIfChanged();

    public async Task<WorkloadIngestResult> Ingest(FlowEvent[] events)
    {
        var latestAllowedMs = time.GetUtcNow().ToUnixTimeMilliseconds() + (long)settings.Clock.MaxClockSkew.TotalMilliseconds;
        var outcome = _detection.Observe(events, latestAllowedMs);
        if (outcome.Future > 0)
        {
            DetectTelemetry.FutureEvents.Add(outcome.Future);
            LogFutureEvents(logger, outcome.Future, settings.Clock.MaxClockSkew);
        }

        _findings.Clear();
        _suppressed.Clear();
        _detection.Collect(_findings, _suppressed);
        foreach (var (finding, rule) in _suppressed)
        {
            DetectTelemetry.RuleSuppressed(finding.Type, rule);
        }

        ReconSignalForwarder.Forward(GrainFactory, _detection);
        var rejected = outcome.Late + outcome.Future;
        if (_findings.Count == 0) return new WorkloadIngestResult(outcome.Accepted, rejected, 0);

        // Findings that link other alerts (recon chains) go last, naming the ids of the alerts they link.
        var reported = await RelatedAlerts.ReportAll(GrainFactory, _findings);
        return new WorkloadIngestResult(outcome.Accepted, rejected, reported);
    }

    public Task<WorkloadView> GetView() => Task.FromResult(_detection.View());

    private async Task WriteBaselineIfChanged()
    {
        var changes = _detection.Changes;
        if (changes == _writtenChanges) return;
        stored.State = BaselineState.From(_detection.Export());
        await stored.WriteStateAsync();
        _writtenChanges = changes;
        DetectTelemetry.BaselineWrites.Add(1);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Count} events stamped more than {MaxClockSkew} ahead of the silo clock")]
    private static partial void LogFutureEvents(ILogger logger, int count, TimeSpan maxClockSkew);
}

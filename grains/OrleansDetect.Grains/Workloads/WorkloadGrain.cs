using Microsoft.Extensions.Logging;
using OrleansDetect.Detection;
using OrleansDetect.Grains.Diagnostics;
using OrleansDetect.Grains.Hosting;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// One monitored workload: a shell around its <see cref="WorkloadDetection"/>. It feeds each batch through it,
/// reports the findings to their alert grains, and persists the baseline from a timer (and on deactivation), so a
/// crash forgets at most <see cref="BaselineOptions.WriteInterval"/> of learning; while its windows hold failed
/// attempts it checkpoints them every <see cref="CheckpointOptions.CheckpointInterval"/>, so a crash forgets at most
/// that much of a partial sweep or scan.
/// </summary>
// The grain type keeps its first name: stored baselines are keyed by grain id ("host/{workload}").
[GrainType("host")]
public sealed partial class WorkloadGrain(
    [PersistentState("baseline", StorageNames.Baselines)] IPersistentState<BaselineState> stored,
    [PersistentState("windows", StorageNames.Baselines)] IPersistentState<CheckpointState> checkpoint,
    DetectionSettings settings,
    TimeProvider time,
    ILogger<WorkloadGrain> logger) : Grain, IWorkloadGrain
{
    private readonly List<Finding> _findings = [];
    private readonly List<SuppressedFinding> _suppressed = [];
    private WorkloadDetection _detection = null!;
    private long _writtenChanges;
    private long _checkpointedEvents;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _detection = new WorkloadDetection(this.GetPrimaryKeyString(), settings);
        if (stored.RecordExists) _detection.Restore(stored.State.ToSnapshot());
        _writtenChanges = _detection.Changes;
        ResumeCheckpoint();

        // Non-interleaving timers: they run between calls, so at most one write is ever outstanding.
        var interval = settings.Baseline.WriteInterval;
        this.RegisterGrainTimer(static (grain, _) => grain.WriteBaselineIfChanged(), this, new GrainTimerCreationOptions(interval, interval));
        var checkpointEvery = settings.Checkpoint.CheckpointInterval;
        if (checkpointEvery > TimeSpan.Zero)
        {
            this.RegisterGrainTimer(static (grain, _) => grain.WriteCheckpointIfChanged(), this, new GrainTimerCreationOptions(checkpointEvery, checkpointEvery));
        }

        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await WriteBaselineIfChanged();
        if (settings.Checkpoint.CheckpointInterval > TimeSpan.Zero) await WriteCheckpointIfChanged();
    }

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

        var rejected = outcome.Late + outcome.Future;
        if (_findings.Count == 0) return new WorkloadIngestResult(outcome.Accepted, rejected, 0);

        var reports = new Task[_findings.Count];
        for (var i = 0; i < reports.Length; i++)
        {
            reports[i] = GrainFactory.GetGrain<IAlertGrain>(AlertIds.GrainKey(_findings[i].Key)).Report(_findings[i]);
        }

        await Task.WhenAll(reports);
        return new WorkloadIngestResult(outcome.Accepted, rejected, reports.Length);
    }

    public Task<WorkloadView> GetView() => Task.FromResult(_detection.View());

    private async Task WriteBaselineIfChanged()
    {
        var changes = _detection.Changes;
        if (changes == _writtenChanges) return;
        stored.State = BaselineState.From(_detection.Export());
        await stored.WriteOwnedAsync();
        _writtenChanges = changes;
        DetectTelemetry.BaselineWrites.Add(1);
    }

    /// <summary>
    /// Resumes the windows checkpoint, if one is stored: a kill then loses at most one checkpoint interval of this
    /// workload's failed attempts and counters. One that cannot be read costs the windows, never the activation.
    /// </summary>
    private void ResumeCheckpoint()
    {
        _checkpointedEvents = _detection.ObservedEvents;
        if (!checkpoint.RecordExists || checkpoint.State.Data.Length == 0) return;
        try
        {
            _detection.RestoreCheckpoint(checkpoint.State.Data);
        }
        catch (InvalidCheckpointException e)
        {
            LogUnreadableCheckpoint(logger, this.GetPrimaryKeyString(), e.Message);
            _detection = new WorkloadDetection(this.GetPrimaryKeyString(), settings);
            if (stored.RecordExists) _detection.Restore(stored.State.ToSnapshot());
        }

        _checkpointedEvents = _detection.ObservedEvents;
    }

    /// <summary>Writes the windows while they hold failed attempts and events arrived since; clears the record once they hold none.</summary>
    private async Task WriteCheckpointIfChanged()
    {
        var observed = _detection.ObservedEvents;
        if (observed == _checkpointedEvents) return;
        var data = _detection.WriteCheckpoint();
        if (data is null)
        {
            if (checkpoint.RecordExists) await checkpoint.ClearOwnedAsync();
            _checkpointedEvents = observed;
            return;
        }

        checkpoint.State.Data = data;
        await checkpoint.WriteOwnedAsync();
        _checkpointedEvents = observed;
        DetectTelemetry.CheckpointWrites.Add(1);
        DetectTelemetry.CheckpointBytes.Add(data.Length);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {Workload}: {Reason}; its windows start empty")]
    private static partial void LogUnreadableCheckpoint(ILogger logger, string workload, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Count} events stamped more than {MaxClockSkew} ahead of the silo clock")]
    private static partial void LogFutureEvents(ILogger logger, int count, TimeSpan maxClockSkew);
}

using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using OrleansDetect.Detection;
using OrleansDetect.Grains.Alerts;
using OrleansDetect.Grains.Diagnostics;
using OrleansDetect.Grains.Fleet;
using OrleansDetect.Grains.Hosting;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// One monitored workload: a shell around its <see cref="WorkloadDetection"/>. It feeds each batch through it,
/// reports the findings to their alert grains, and persists the baseline from a timer (and on deactivation), so a
/// crash forgets at most <see cref="BaselineOptions.WriteInterval"/> of learning; while its windows hold failed
/// attempts it checkpoints them every <see cref="CheckpointOptions.CheckpointInterval"/>, so a crash forgets at most
/// that much of a partial sweep or scan. The silo that takes a request feeds an active workload in process
/// (<see cref="TryObserveHere"/>); a grain call still carries what must be awaited: reports, registration, activity.
/// </summary>
/// <remarks>
/// Activation reads the baseline, and the windows checkpoint only when a baseline is stored: a workload's first checkpoint
/// is written after its baseline, so a new workload costs one storage read, not two.
/// </remarks>
// The grain type keeps its first name: stored baselines are keyed by grain id ("host/{workload}").
[GrainType("host")]
public sealed partial class WorkloadGrain(
    [PersistentState("baseline", StorageNames.Baselines)] IPersistentState<BaselineState> stored,
    DetectionSettings settings,
    TimeProvider time,
    IOptions<BatchKeyOptions> batchKeys,
    ReconSignalInbox signalInbox,
    LocalWorkloads localWorkloads,
    IGrainFactory grains,
    ILogger<WorkloadGrain> logger) : Grain, IWorkloadGrain
{
    private readonly RecentBatches _recentBatches = new(batchKeys.Value.IdempotencyWindow, batchKeys.Value.IdempotencyKeysPerWorkload);
    private readonly List<Finding> _findings = [];
    private readonly List<SuppressedFinding> _suppressed = [];
    // Findings found but not yet confirmed by their alert grains; bounded by one batch's findings (a workload's
    // findings are capped per window), reported before anything else the grain does.
    private readonly List<Finding> _unreported = [];
    // Guards what both the grain's turns and the silo's in-process feeding (TryObserveHere) touch: the detection, the
    // batch keys, the owed findings, the registration. Never held across an await.
    private readonly Lock _gate = new();
    private bool _deactivating;
    // In LocalWorkloads: from activation, and again after a grain call proves this is the workload's activation.
    private bool _listed;
    private string _name = null!;
    // When a grain call last fed this activation (Stopwatch timestamp): in-process feeding asks for one now and then.
    private long _lastCall;
    private WorkloadDetection _detection = null!;
    private IReconSignalGrain? _signals;
    // The windows checkpoint, beside the baseline in the same storage under the name a [PersistentState] facet had.
    private readonly GrainState<CheckpointState> _checkpoint = new(new CheckpointState());
    private IGrainStorage _storage = null!;
    private long _writtenChanges;
    private long _checkpointedEvents;

    // What the workload registry was last told this activation (null: not yet registered).
    private bool? _registeredLearned;

    /// <summary>State name of the windows checkpoint (Redis key <c>…/host/{workload}/windows</c>).</summary>
    public const string CheckpointStateName = "windows";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _name = this.GetPrimaryKeyString();
        _storage = ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Baselines);
        _detection = new WorkloadDetection(_name, settings);
        if (stored.RecordExists)
        {
            _detection.Restore(stored.State.ToSnapshot());
            await _storage.ReadStateAsync(CheckpointStateName, this.GetGrainId(), _checkpoint);
        }

        _writtenChanges = _detection.Changes;
        ResumeCheckpoint();
        _lastCall = Stopwatch.GetTimestamp();

        // Non-interleaving timers: they run between calls, so at most one write is ever outstanding.
        var interval = settings.Baseline.WriteInterval;
        this.RegisterGrainTimer(static (grain, _) => grain.WriteBaselineIfChanged(), this, new GrainTimerCreationOptions(interval, interval));
        var checkpointEvery = settings.Checkpoint.CheckpointInterval;
        if (checkpointEvery > TimeSpan.Zero)
        {
            this.RegisterGrainTimer(static (grain, _) => grain.WriteCheckpointIfChanged(), this, new GrainTimerCreationOptions(checkpointEvery, checkpointEvery));
        }

        List();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // From here on the silo's queue makes grain calls, which wait for the next activation; what it fed this one is written below.
        lock (_gate)
        {
            _deactivating = true;
            Unlist();
        }

        await WriteBaselineIfChanged();
        if (settings.Checkpoint.CheckpointInterval > TimeSpan.Zero) await WriteCheckpointIfChanged();
    }

    public Task<WorkloadIngestResult> Ingest(FlowEvent[] events) => Ingest(events, IngestBatchKey.None);

    public async Task<WorkloadIngestResult> Ingest(FlowEvent[] events, IngestBatchKey key) =>
        (await Ingest([new IngestSegment(events, key)]))[0];

    public async Task<WorkloadIngestResult[]> Ingest(IngestSegment[] segments)
    {
        lock (_gate)
        {
            _lastCall = Stopwatch.GetTimestamp();
            if (!_listed && !_deactivating) List();
        }

        // Findings whose report failed last time go first: a resend that is answered from memory must not leave them behind.
        if (HasUnreported) await ReportUnreported();

        var results = new WorkloadIngestResult[segments.Length];
        int findings;
        lock (_gate)
        {
            var (nowMs, latestAllowedMs) = Clock();
            findings = ObserveSegments(Array.ConvertAll(segments, s => new SegmentEvents(s.Events, s.Key)), results, nowMs, latestAllowedMs);
        }

        var registration = Register();
        if (findings == 0)
        {
            await registration;
            return results;
        }

        await Task.WhenAll(ReportUnreported(), registration);
        return results;
    }

    /// <summary>
    /// Feeds the events of one or more requests through the detectors in process, from the silo's call queue rather
    /// than a grain call (<see cref="LocalWorkloads"/>); thread-safe against the grain's own turns, which take the same
    /// gate. The segments are observed in order, as one grain call's would be (<see cref="ObserveSegments"/>). False
    /// when the activation is not listed (deactivating, or not proven the workload's activation lately): nothing was
    /// observed, and the events need a grain call. Otherwise <paramref name="settle"/> says the answers must wait for a
    /// grain call that reports findings, registers the workload, or keeps the activation from being collected as idle
    /// (an empty <see cref="Ingest(IngestSegment[])"/>).
    /// </summary>
    internal bool TryObserveHere(ReadOnlySpan<SegmentEvents> segments, Span<WorkloadIngestResult> results, out bool settle)
    {
        lock (_gate)
        {
            // Overdue for a grain call by a whole keep-alive period: one would have reached it were it still the
            // workload's activation. Unlisted, it is fed by grain calls (and listed again by the first that reaches it).
            var sinceCall = Stopwatch.GetElapsedTime(_lastCall);
            if (_listed && sinceCall >= 2 * localWorkloads.KeepAliveEvery) Unlist();
            if (!_listed)
            {
                settle = false;
                return false;
            }

            var (nowMs, latestAllowedMs) = Clock();
            ObserveSegments(segments, results, nowMs, latestAllowedMs);
            settle = _unreported.Count > 0
                || _registeredLearned != _detection.Baseline.IsLearned
                || sinceCall >= localWorkloads.KeepAliveEvery;
            return true;
        }
    }

    /// <summary>
    /// Under the gate: observes each segment not answered from memory (a resend of a batch this workload processed, or
    /// a second copy of a segment earlier in the same list), then collects the findings of all of them, on one clock,
    /// counted against the last segment observed, and remembers the observed segments' keys. Returns the findings' count.
    /// </summary>
    private int ObserveSegments(ReadOnlySpan<SegmentEvents> segments, Span<WorkloadIngestResult> results, long nowMs, long latestAllowedMs)
    {
        Span<bool> isObserved = segments.Length <= 256 ? stackalloc bool[segments.Length] : new bool[segments.Length];
        var observed = -1;
        var future = 0;
        for (var i = 0; i < segments.Length; i++)
        {
            var (events, key) = segments[i];
            if (!key.IsNone && _recentBatches.TryGet(key, nowMs, out var first))
            {
                results[i] = first;
                continue;
            }

            if (EarlierSegmentWithKey(segments, i) is var earlier and >= 0)
            {
                results[i] = results[earlier];
                continue;
            }

            results[i] = Observe(events, latestAllowedMs, ref future);
            isObserved[i] = true;
            observed = i;
        }

        if (observed < 0) return 0;
        var findings = CollectFindings(future);
        results[observed] = results[observed] with { Alerts = findings };

        // The events are observed from here on, whatever happens to the reports: remember the keys now.
        for (var i = 0; i <= observed; i++)
        {
            if (isObserved[i] && !segments[i].Key.IsNone) _recentBatches.Remember(segments[i].Key, nowMs, results[i]);
        }

        return findings;
    }

    /// <summary>Under the gate (or during activation): lists this activation for in-process feeding.</summary>
    private void List()
    {
        _listed = true;
        localWorkloads.Add(_name, this);
    }

    private void Unlist()
    {
        _listed = false;
        localWorkloads.Remove(_name, this);
    }

    private (long NowMs, long LatestAllowedMs) Clock()
    {
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        return (nowMs, nowMs + (long)settings.Clock.MaxClockSkew.TotalMilliseconds);
    }

    /// <summary>Under the gate: one segment through the detectors.</summary>
    private WorkloadIngestResult Observe(FlowEvent[] events, long latestAllowedMs, ref int future)
    {
        var outcome = _detection.Observe(events, latestAllowedMs);
        future += outcome.Future;
        return new WorkloadIngestResult(outcome.Accepted, outcome.Late + outcome.Future, 0);
    }

    /// <summary>Under the gate, after observing: collects the findings (owed to their alert grains from here on) and forwards the signals.</summary>
    private int CollectFindings(int future)
    {
        if (future > 0)
        {
            DetectTelemetry.FutureEvents.Add(future);
            LogFutureEvents(logger, future, settings.Clock.MaxClockSkew);
        }

        _findings.Clear();
        _suppressed.Clear();
        _detection.Collect(_findings, _suppressed);
        foreach (var (finding, rule) in _suppressed)
        {
            DetectTelemetry.RuleSuppressed(finding.Type, rule);
        }

        ForwardSignals();
        _unreported.AddRange(_findings);
        return _findings.Count;
    }

    /// <summary>
    /// Leaves the batch's recon signals in the silo's inbox, in memory; only a signal that finds it empty wakes the silo's
    /// aggregator, with a one-way call to a stateless worker on this silo (nothing is awaited).
    /// </summary>
    private void ForwardSignals()
    {
        if (_detection.TakeSignals() is { } signals && signalInbox.Post(signals))
        {
            // Resolved once an activation: a reference costs Orleans a reflection pass over the interface. The silo's
            // factory, not the grain's: in-process feeding runs off the activation's context.
            _ = (_signals ??= grains.GetGrain<IReconSignalGrain>(0)).Wake();
        }
    }

    private static int EarlierSegmentWithKey(ReadOnlySpan<SegmentEvents> segments, int index)
    {
        var key = segments[index].Key;
        if (key.IsNone) return -1;
        for (var j = 0; j < index; j++)
        {
            if (segments[j].Key == key) return j;
        }

        return -1;
    }

    private bool HasUnreported
    {
        get
        {
            lock (_gate) return _unreported.Count > 0;
        }
    }

    /// <summary>Reports the owed findings; those whose report fails stay owed (and the call fails) until a later batch reports them.</summary>
    private async Task ReportUnreported()
    {
        // Findings that link other alerts (recon chains) go last, naming the ids of the alerts they link.
        Finding[] owed;
        lock (_gate)
        {
            owed = _unreported.ToArray();
            _unreported.Clear();
        }

        if (owed.Length == 0) return;
        var failed = new List<Finding>();
        try
        {
            await RelatedAlerts.ReportAll(GrainFactory, owed, failed);
        }
        finally
        {
            // Ahead of what the silo observed in process meanwhile: owed findings stay in the order they were found.
            if (failed.Count > 0)
            {
                lock (_gate) _unreported.InsertRange(0, failed);
            }
        }
    }

    public Task<WorkloadView> GetView()
    {
        lock (_gate) return Task.FromResult(_detection.View());
    }

    /// <summary>
    /// Tells the workload registry this workload exists, once an activation, and again when its learning state
    /// changes. A registry that cannot be reached costs nothing but a retry with the next batch.
    /// </summary>
    private async Task Register()
    {
        bool learned;
        lock (_gate)
        {
            learned = _detection.Baseline.IsLearned;
            if (_registeredLearned == learned) return;
        }

        try
        {
            await WorkloadRegistry.For(GrainFactory, _name).Register(_name, learned);
            lock (_gate) _registeredLearned = learned;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRegisterFailed(logger, ex.GetType().Name);
        }
    }

    private Task WriteBaselineIfChanged()
    {
        bool changed;
        lock (_gate) changed = _detection.Changes != _writtenChanges;
        return changed ? WriteBaseline() : Task.CompletedTask;
    }

    private async Task WriteBaseline()
    {
        long changes;
        lock (_gate)
        {
            changes = _detection.Changes;
            stored.State = BaselineState.From(_detection.Export());
        }

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
        if (!_checkpoint.RecordExists || _checkpoint.State is not { Data.Length: > 0 } saved) return;
        try
        {
            _detection.RestoreCheckpoint(saved.Data);
        }
        catch (InvalidCheckpointException e)
        {
            LogUnreadableCheckpoint(logger, _name, e.Message);
            _detection = new WorkloadDetection(_name, settings);
            if (stored.RecordExists) _detection.Restore(stored.State.ToSnapshot());
        }

        _checkpointedEvents = _detection.ObservedEvents;
    }

    /// <summary>
    /// Writes the windows while they hold failed attempts and events arrived since; clears the record once they hold none.
    /// A checkpoint is read only beside a stored baseline (<see cref="OnActivateAsync"/>), so the baseline goes first
    /// when none is stored, and again when Redis lost the records under this activation.
    /// </summary>
    private async Task WriteCheckpointIfChanged()
    {
        long observed;
        byte[]? data;
        lock (_gate)
        {
            observed = _detection.ObservedEvents;
            if (observed == _checkpointedEvents) return;
            data = _detection.WriteCheckpoint();
        }

        if (data is null)
        {
            if (_checkpoint.RecordExists) await _storage.ClearOwnedAsync(CheckpointStateName, this.GetGrainId(), _checkpoint);
            _checkpointedEvents = observed;
            return;
        }

        if (!stored.RecordExists) await WriteBaseline();
        (_checkpoint.State ??= new CheckpointState()).Data = data;
        if (await _storage.WriteOwnedAsync(CheckpointStateName, this.GetGrainId(), _checkpoint)) await WriteBaseline();
        _checkpointedEvents = observed;
        DetectTelemetry.CheckpointWrites.Add(1);
        DetectTelemetry.CheckpointBytes.Add(data.Length);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {Workload}: {Reason}; its windows start empty")]
    private static partial void LogUnreadableCheckpoint(ILogger logger, string workload, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not register with the workload registry ({ErrorType}); will retry with the next batch")]
    private static partial void LogRegisterFailed(ILogger logger, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Count} events stamped more than {MaxClockSkew} ahead of the silo clock")]
    private static partial void LogFutureEvents(ILogger logger, int count, TimeSpan maxClockSkew);
}

/// <summary>One request's events for a workload fed in process, with that request's idempotency key.</summary>
internal readonly record struct SegmentEvents(FlowEvent[] Events, IngestBatchKey Key);

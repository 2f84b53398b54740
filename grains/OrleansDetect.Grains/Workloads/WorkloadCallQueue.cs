using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansDetect.Grains.Diagnostics;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// The silo's workload calls, shared by every request it routes. A request hands over its events per workload; the queue
/// keeps at most one call in flight per workload and at most <see cref="IngestRetryOptions.MaxCallsInFlight"/> in all.
/// A workload that is waiting for a call slot, or whose call is in flight, gathers the segments of every request that
/// reaches it meanwhile into its next call (a group commit). Under light load a segment goes out at once, alone; under
/// heavy load each call carries the segments of several requests, so the cost of a grain call stops setting the event
/// rate when a batch spreads over thousands of workloads. Per workload, segments go out in the order they arrived.
/// A workload active on this silo (<see cref="LocalWorkloads"/>) with nothing queued is not called at all: its events are
/// fed to its activation in process, by feeders that take the requests queued meanwhile together (<see cref="FeedHere"/>).
/// </summary>
/// <remarks>
/// A call that fails because membership is changing (a silo died and its grains are moving) is retried within
/// <see cref="IngestRetryOptions.RetryBudget"/>; after that its segments are answered as failed and their requests
/// complete without them. Each request keeps its own time limits (<see cref="Delivery"/>): no segment of it is sent
/// after <see cref="IngestRetryOptions.BatchDeadline"/>, none is waited for beyond that plus the retry budget, and in a
/// keyed request the stragglers are given up once the rest has answered.
/// </remarks>
public sealed partial class WorkloadCallQueue(WorkloadReferences workloads, LocalWorkloads localWorkloads, IOptions<IngestRetryOptions> options, ILogger<WorkloadCallQueue> logger)
{
    private readonly IngestRetryOptions _options = options.Value;
    private readonly Lock _lock = new();

    // Workloads with segments waiting or a call in flight; a workload leaves once it has neither.
    private readonly Dictionary<string, PendingWorkload> _workloads = new(StringComparer.Ordinal);
    private readonly Queue<PendingWorkload> _ready = new();
    private int _lanes;

    // Requests' in-process work waiting for a feeder (FeedHere); at most _maxFeeders feed at once.
    private readonly Lock _hereLock = new();

    // One on two cores: the other parses and answers requests meanwhile, and the fewer the feeders, the more requests a
    // pass takes together.
    private readonly int _maxFeeders = Math.Max(1, Environment.ProcessorCount / 2);
    private List<HereWork> _hereWaiting = [];
    private int _feeders;

    /// <summary>Delivers every workload's events; completes when each has answered, failed, or been given up.</summary>
    public Task<IngestResult> Deliver(WorkloadFlows[] batch, IngestBatchKey key)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Length == 0) return Task.FromResult(new IngestResult(0, 0));
        var delivery = new Delivery(batch.Length, key, Activity.Current, _options, logger);
        // Pooled: a batch over thousands of workloads would otherwise put this list on the large object heap, every request.
        // Returned by the pass that feeds it.
        (int Index, WorkloadGrain Grain)[]? here = null;
        var local = 0;
        int lanes;
        lock (_lock)
        {
            for (var i = 0; i < batch.Length; i++)
            {
                // A workload active on this silo, with no call of its own waiting or in flight, is fed in process.
                if (!_workloads.ContainsKey(batch[i].Workload) && localWorkloads.TryGet(batch[i].Workload, out var grain))
                {
                    here ??= ArrayPool<(int, WorkloadGrain)>.Shared.Rent(batch.Length);
                    here[local++] = (i, grain);
                    continue;
                }

                Enqueue(new Segment(delivery, i, batch[i].Events), batch[i].Workload);
            }

            lanes = TakeLanes();
        }

        StartLanes(lanes);
        if (here is not null) FeedHere(new HereWork(delivery, batch, here, local));
        return delivery.Completion;
    }

    /// <summary>
    /// Queues a request's in-process work for a feeder, starting one if fewer than <see cref="_maxFeeders"/> run. A
    /// feeder takes everything queued while it fed the last pass and feeds it as one pass (a group commit): a workload
    /// several waiting requests reach is visited once for all of them, so its state is fetched into the cache once,
    /// and its lock, clock and findings are taken once, rather than once per request.
    /// </summary>
    private void FeedHere(HereWork work)
    {
        lock (_hereLock)
        {
            _hereWaiting.Add(work);
            if (_feeders >= _maxFeeders) return;
            _feeders++;
        }

        // Off the caller's grain context (the ingest router): a pass is milliseconds of work, which Orleans would report
        // as a long turn. Without its execution context: a feeder outlives the request that started it.
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(FeedLoop);
        }
    }

    /// <summary>Feeds pass after pass of what the requests queued meanwhile, until nothing waits; then the feeder ends.</summary>
    private void FeedLoop()
    {
        var pass = new HerePass();
        List<HereWork> taken = [];
        List<(string Workload, Segment Segment)> calls = [];
        while (true)
        {
            lock (_hereLock)
            {
                if (_hereWaiting.Count == 0)
                {
                    _feeders--;
                    return;
                }

                (taken, _hereWaiting) = (_hereWaiting, taken);
            }

            try
            {
                pass.Feed(taken, calls);
            }
            catch (Exception e)
            {
                // A bug outside the workloads' own feeding (which fails only its segments): these requests fail, and
                // the feeder goes on with fresh scratch, so later requests are still fed.
                LogFeedFailed(logger, e);
                foreach (var work in taken)
                {
                    for (var h = 0; h < work.Count; h++) work.Delivery.Fail(work.Here[h].Index, e);
                }

                pass = new HerePass();
                calls.Clear();
            }

            taken.Clear();
            if (calls.Count == 0) continue;
            int lanes;
            lock (_lock)
            {
                foreach (var (workload, segment) in calls)
                {
                    Enqueue(segment, workload);
                }

                lanes = TakeLanes();
            }

            calls.Clear();
            StartLanes(lanes);
        }
    }

    /// <summary>Under the lock: adds a segment to its workload's next call, and queues the workload unless it already is.</summary>
    private void Enqueue(Segment segment, string name)
    {
        ref var workload = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_workloads, name, out _);
        workload ??= new PendingWorkload(name);
        workload.Waiting.Add(segment);

        // Behind a call in flight, a keyed segment counts as sent: it goes out when that call ends, which may be only
        // when a dead silo is declared dead; its request gives it up with the rest of its tail (a late send is answered
        // from memory). Otherwise every request behind a call to a killed silo would wait for the declaration.
        if (workload.Calling && !segment.Delivery.Key.IsNone) segment.Delivery.Sent(segment.Index);
        if (!workload.Queued)
        {
            workload.Queued = true;
            _ready.Enqueue(workload);
        }
    }

    /// <summary>Under the lock: how many more lanes to start for the ready workloads, within the limit.</summary>
    private int TakeLanes()
    {
        var lanes = Math.Clamp(_options.MaxCallsInFlight - _lanes, 0, _ready.Count);
        _lanes += lanes;
        return lanes;
    }

    private void StartLanes(int lanes)
    {
        if (lanes == 0) return;

        // Lanes run off the caller's grain context, and without its execution context: a lane outlives the request that
        // started it and calls for every request, each call under the span of the request its first segment came from.
        using (ExecutionContext.SuppressFlow())
        {
            for (var i = 0; i < lanes; i++)
            {
                _ = Task.Run(LaneAsync);
            }
        }
    }

    /// <summary>Takes the next ready workload and calls it, until none is ready; then the lane ends.</summary>
    private async Task LaneAsync()
    {
        PendingWorkload? workload;
        Segment[] segments;
        lock (_lock)
        {
            if (!TakeNext(out workload, out segments)) return;
        }

        while (true)
        {
            await CallAsync(workload.Name, segments).ConfigureAwait(false);

            // One turn of the lock per call: put the workload back or let it go, and take the next one.
            lock (_lock)
            {
                workload.Calling = false;
                if (workload.Waiting.Count > 0)
                {
                    _ready.Enqueue(workload);
                }
                else
                {
                    workload.Queued = false;
                    _workloads.Remove(workload.Name);
                }

                if (!TakeNext(out workload, out segments)) return;
            }
        }
    }

    /// <summary>Under the lock: the next ready workload and its waiting segments; false (and the lane ends) when none is ready.</summary>
    private bool TakeNext([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PendingWorkload? workload, out Segment[] segments)
    {
        if (_ready.TryDequeue(out workload))
        {
            workload.Calling = true;
            segments = workload.Take();
            return true;
        }

        _lanes--;
        segments = [];
        return false;
    }

    /// <summary>
    /// One call carrying every live segment; a transient membership failure is retried within the retry budget. Never
    /// throws: each segment ends answered or failed in its own request.
    /// </summary>
    private async Task CallAsync(string workload, Segment[] taken)
    {
        var segments = Live(taken);
        if (segments.Length == 0) return;
        DetectTelemetry.SegmentsPerCall.Record(segments.Length);
        Stopwatch? retrying = null;
        var delay = _options.FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            var wire = new IngestSegment[segments.Length];
            for (var i = 0; i < segments.Length; i++)
            {
                // A segment already observed in process sends no events: its call only settles what it left owed.
                wire[i] = segments[i].Observed is null ? new IngestSegment(segments[i].Events, segments[i].Delivery.Key) : new IngestSegment([], IngestBatchKey.None);
                segments[i].Delivery.Sent(segments[i].Index);
            }

            // A call carries one trace: that of its first segment's request, whose span is still open (it waits for it).
            Activity.Current = segments[0].Delivery.Span;
            try
            {
                var results = await workloads.For(workload).Ingest(wire).ConfigureAwait(false);
                for (var i = 0; i < segments.Length; i++)
                {
                    segments[i].Delivery.Answer(segments[i].Index, segments[i].Observed ?? results[i]);
                }

                return;
            }
            catch (Exception ex) when (MembershipFailures.IsTransient(ex))
            {
                retrying ??= Stopwatch.StartNew();
                if (attempt >= _options.RetryAttempts || retrying.Elapsed + delay >= _options.RetryBudget)
                {
                    LogGaveUp(logger, attempt, retrying.Elapsed.TotalMilliseconds, ex.GetType().Name);
                    Fail(segments, fault: null);
                    return;
                }

                LogRetrying(logger, attempt, delay.TotalMilliseconds, ex.GetType().Name);
            }
            catch (Exception ex)
            {
                // Not about membership (a bug, storage refusing): the requests fail as a whole, as before the queue.
                Fail(segments, ex);
                return;
            }

            // Jitter spreads the retries of the many workloads that failed together with one silo.
            await Task.Delay(delay * (0.75 + Random.Shared.NextDouble() / 2)).ConfigureAwait(false);
            delay *= 2;
            segments = Live(segments);
            if (segments.Length == 0) return;
        }
    }

    /// <summary>The segments whose requests still wait for them, and may still send them (not past their deadline).</summary>
    private static Segment[] Live(Segment[] segments)
    {
        var live = 0;
        foreach (var segment in segments)
        {
            if (segment.Delivery.MaySend(segment.Index)) live++;
        }

        if (live == segments.Length) return segments;
        var kept = new Segment[live];
        var k = 0;
        foreach (var segment in segments)
        {
            if (segment.Delivery.MaySend(segment.Index)) kept[k++] = segment;
        }

        return kept;
    }

    private static void Fail(Segment[] segments, Exception? fault)
    {
        foreach (var segment in segments)
        {
            segment.Delivery.Fail(segment.Index, fault);
        }
    }

    /// <summary>A request's events for one workload; <paramref name="Observed"/> is the answer of events already fed in process.</summary>
    private readonly record struct Segment(Delivery Delivery, int Index, FlowEvent[] Events, WorkloadIngestResult? Observed = null);

    /// <summary>A workload's segments waiting for its next call, and whether it is queued or in flight.</summary>
    private sealed class PendingWorkload(string name)
    {
        public string Name { get; } = name;

        public List<Segment> Waiting { get; } = new(1);

        /// <summary>In the ready queue or in a lane: new segments only join <see cref="Waiting"/>.</summary>
        public bool Queued { get; set; }

        /// <summary>In a lane: its call is being made.</summary>
        public bool Calling { get; set; }

        public Segment[] Take()
        {
            var taken = Waiting.ToArray();
            Waiting.Clear();
            return taken;
        }
    }

    // Per attempt, like Polly's attempts: Debug. A workload that is given up on is named in the answer, which the client sees.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Workload call failed on attempt {Attempt} ({Failure}); retrying in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, int attempt, double delayMs, string failure);

    [LoggerMessage(Level = LogLevel.Error, Message = "Feeding a pass of requests in process failed; their requests fail")]
    private static partial void LogFeedFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Workload call given up after {Attempt} attempts and {ElapsedMs} ms ({Failure}); answered as failed")]
    internal static partial void LogGaveUp(ILogger logger, int attempt, double elapsedMs, string failure);
}

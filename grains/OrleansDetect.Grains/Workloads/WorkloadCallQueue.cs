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
/// </summary>
/// <remarks>
/// A call that fails because membership is changing (a silo died and its grains are moving) is retried within
/// <see cref="IngestRetryOptions.RetryBudget"/>; after that its segments are answered as failed and their requests
/// complete without them. Each request keeps its own time limits (<see cref="Delivery"/>): no segment of it is sent
/// after <see cref="IngestRetryOptions.BatchDeadline"/>, none is waited for beyond that plus the retry budget, and in a
/// keyed request the stragglers are given up once the rest has answered.
/// </remarks>
public sealed partial class WorkloadCallQueue(WorkloadReferences workloads, IOptions<IngestRetryOptions> options, ILogger<WorkloadCallQueue> logger)
{
    private readonly IngestRetryOptions _options = options.Value;
    private readonly Lock _lock = new();

    // Workloads with segments waiting or a call in flight; a workload leaves once it has neither.
    private readonly Dictionary<string, PendingWorkload> _workloads = new(StringComparer.Ordinal);
    private readonly Queue<PendingWorkload> _ready = new();
    private int _lanes;

    /// <summary>Delivers every workload's events; completes when each has answered, failed, or been given up.</summary>
    public Task<IngestResult> Deliver(WorkloadFlows[] batch, IngestBatchKey key)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Length == 0) return Task.FromResult(new IngestResult(0, 0));
        var delivery = new Delivery(batch.Length, key, Activity.Current, _options, logger);
        var lanes = 0;
        lock (_lock)
        {
            for (var i = 0; i < batch.Length; i++)
            {
                ref var workload = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_workloads, batch[i].Workload, out _);
                workload ??= new PendingWorkload(batch[i].Workload);
                workload.Waiting.Add(new Segment(delivery, i, batch[i].Events));
                if (!workload.Queued)
                {
                    workload.Queued = true;
                    _ready.Enqueue(workload);
                }
            }

            lanes = Math.Clamp(_options.MaxCallsInFlight - _lanes, 0, _ready.Count);
            _lanes += lanes;
        }

        // Lanes run off the caller's grain context, and without its execution context: a lane outlives the request that
        // started it and calls for every request, each call under the span of the request its first segment came from.
        using (ExecutionContext.SuppressFlow())
        {
            for (var i = 0; i < lanes; i++)
            {
                _ = Task.Run(LaneAsync);
            }
        }

        return delivery.Completion;
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
                wire[i] = new IngestSegment(segments[i].Events, segments[i].Delivery.Key);
                segments[i].Delivery.Sent(segments[i].Index);
            }

            // A call carries one trace: that of its first segment's request, whose span is still open (it waits for it).
            Activity.Current = segments[0].Delivery.Span;
            try
            {
                var results = await workloads.For(workload).Ingest(wire).ConfigureAwait(false);
                for (var i = 0; i < segments.Length; i++)
                {
                    segments[i].Delivery.Answer(segments[i].Index, results[i]);
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

    private readonly record struct Segment(Delivery Delivery, int Index, FlowEvent[] Events);

    /// <summary>A workload's segments waiting for its next call, and whether it is queued or in flight.</summary>
    private sealed class PendingWorkload(string name)
    {
        public string Name { get; } = name;

        public List<Segment> Waiting { get; } = new(1);

        /// <summary>In the ready queue or in a lane: new segments only join <see cref="Waiting"/>.</summary>
        public bool Queued { get; set; }

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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Workload call given up after {Attempt} attempts and {ElapsedMs} ms ({Failure}); answered as failed")]
    internal static partial void LogGaveUp(ILogger logger, int attempt, double elapsedMs, string failure);
}

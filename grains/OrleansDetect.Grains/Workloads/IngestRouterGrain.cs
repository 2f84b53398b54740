using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OrleansDetect.Grains.Diagnostics;

namespace OrleansDetect.Grains.Workloads;

/// <summary>
/// Fans a grouped batch out to the workload grains: one call per workload, at most
/// <see cref="IngestRetryOptions.MaxCallsInFlight"/> at a time. A call that fails because membership is changing (a
/// silo died and its grains are moving) is retried on its own with a bounded backoff, within
/// <see cref="IngestRetryOptions.RetryBudget"/>; after that the workload is answered as failed while the rest of the
/// batch completes, so a dead silo holds up only its own workloads. No call is waited for beyond the deadline plus one
/// retry budget. In a batch with an idempotency key, once every call has started, calls still open when none has
/// answered for <see cref="IngestRetryOptions.StragglerTimeout"/> are given up too: the rest of the batch was answered,
/// and those wait on a silo that stopped answering (a silo killed mid-call is declared dead only seconds later). No
/// call starts after
/// <see cref="IngestRetryOptions.BatchDeadline"/>: a batch too large to finish in time answers with what was done.
/// </summary>
// Reentrant is safe: the router holds no state, each call only reads its own arguments.
[StatelessWorker, Reentrant]
public sealed partial class IngestRouterGrain(IOptions<IngestRetryOptions> retryOptions, ILogger<IngestRouterGrain> logger) : Grain, IIngestRouterGrain
{
    public Task<IngestResult> Ingest(WorkloadFlows[] batch) => Ingest(batch, IngestBatchKey.None);

    public async Task<IngestResult> Ingest(WorkloadFlows[] batch, IngestBatchKey key)
    {
        // One span for the whole fan-out: the workload grains' spans hang under it.
        using var span = DetectTelemetry.Source.StartActivity("ingest.route");
        span?.SetTag("workloads", batch.Length);
        using var delivery = new Delivery(batch, key, retryOptions.Value, GrainFactory, logger);
        await delivery.RunAsync();
        if (delivery.FailedCount > 0) span?.SetTag("workloads.failed", delivery.FailedCount);
        return delivery.Result();
    }

    /// <summary>One batch's fan-out: lanes that each take the next workload until none is left or the deadline passed.</summary>
    private sealed class Delivery(WorkloadFlows[] batch, IngestBatchKey key, IngestRetryOptions options, IGrainFactory grains, ILogger logger) : IDisposable
    {
        // Cancelled by the tail's watchdog: the calls still open are given up.
        private readonly CancellationTokenSource _stalled = new();
        private bool _tail;
        private bool _done;
        private int _answered;
        private TimeSpan _lastAnswer;
        private readonly WorkloadIngestResult?[] _results = new WorkloadIngestResult?[batch.Length];
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private Exception? _fault;
        private int _next;

        public int FailedCount { get; private set; }

        public Task RunAsync()
        {
            var lanes = new Task[Math.Min(batch.Length, options.MaxCallsInFlight)];
            for (var i = 0; i < lanes.Length; i++)
            {
                lanes[i] = LaneAsync();
            }

            return FinishAsync(lanes);
        }

        private async Task FinishAsync(Task[] lanes)
        {
            await Task.WhenAll(lanes);
            _done = true;
        }

        public void Dispose() => _stalled.Dispose();

        public IngestResult Result()
        {
            // A failure that is not about membership (a bug, storage refusing) fails the request as before; the client's
            // resend with the same key is answered from memory by the workloads that did process it.
            if (_fault is not null) throw _fault;
            int accepted = 0, late = 0;
            var failed = FailedCount > 0 ? new int[FailedCount] : null;
            var f = 0;
            for (var i = 0; i < _results.Length; i++)
            {
                if (_results[i] is { } r)
                {
                    accepted += r.Accepted;
                    late += r.Late;
                }
                else
                {
                    failed![f++] = i;
                }
            }

            return new IngestResult(accepted, late, failed);
        }

        // The lanes run on the router's activation (one thread at a time), so _next needs no interlock.
        private async Task LaneAsync()
        {
            while (_next < batch.Length)
            {
                var i = _next++;
                if (_clock.Elapsed >= options.BatchDeadline)
                {
                    FailedCount++;
                    continue;
                }

                // Giving up a call that may still complete is safe only when its resend is answered from memory: keyed batches.
                if (_next >= batch.Length && !_tail && !key.IsNone)
                {
                    _tail = true;
                    _ = WatchTailAsync();
                }

                var result = await DeliverAsync(batch[i]);
                if (result is null)
                {
                    FailedCount++;
                }
                else
                {
                    _answered++;
                    _lastAnswer = _clock.Elapsed;
                }

                _results[i] = result;
            }
        }

        /// <summary>
        /// Gives up the calls still open once the batch has gone <see cref="Silence"/> without an answer. A batch none of
        /// whose calls answered has nothing to compare with: only the time limit applies. Runs on the router's
        /// activation, like the lanes, so it sees their state without locks.
        /// </summary>
        private async Task WatchTailAsync()
        {
            while (!_done)
            {
                var quiet = _clock.Elapsed - _lastAnswer;
                var allowed = Silence();
                if (_answered > 0 && quiet >= allowed)
                {
                    _stalled.Cancel();
                    return;
                }

                await Task.Delay(_answered > 0 && quiet < allowed ? allowed - quiet : options.StragglerTimeout);
            }
        }

        /// <summary>
        /// How long the tail may go without an answer: <see cref="IngestRetryOptions.StragglerTimeout"/>, or as long as
        /// the batch took to its latest answer when that is longer (a busy cluster answers slowly, not never).
        /// </summary>
        private TimeSpan Silence() => _lastAnswer > options.StragglerTimeout ? _lastAnswer : options.StragglerTimeout;

        /// <summary>
        /// Delivers one workload's events, retrying only transient membership failures within the retry budget; null when
        /// it did not get through. A call that neither answers nor fails is bounded by the batch's own time limit (and the
        /// straggler rule), not by the retry budget: a busy silo is slow, and that is no reason to resend.
        /// </summary>
        private async Task<WorkloadIngestResult?> DeliverAsync(WorkloadFlows flows)
        {
            Stopwatch? retrying = null;
            var delay = options.FirstRetryDelay;
            for (var attempt = 1; ; attempt++)
            {
                var call = grains.GetGrain<IWorkloadGrain>(flows.Workload).Ingest(flows.Events, key);
                try
                {
                    // A call to a silo that died mid-call hangs until the silo is declared dead: bound it by the budget too.
                    // Abandoned, it may still complete; the batch key keeps its resend from counting twice.
                    return await call.WaitAsync(Remaining(retrying), _stalled.Token);
                }
                catch (Exception ex) when ((ex is TimeoutException or OperationCanceledException) && !call.IsCompleted)
                {
                    Observe(call);
                    LogGaveUp(logger, attempt, _clock.Elapsed.TotalMilliseconds, ex is TimeoutException ? "time limit" : "straggler");
                    return null;
                }
                catch (Exception ex) when (MembershipFailures.IsTransient(ex))
                {
                    retrying ??= Stopwatch.StartNew();
                    if (attempt >= options.RetryAttempts || retrying.Elapsed + delay >= options.RetryBudget)
                    {
                        LogGaveUp(logger, attempt, _clock.Elapsed.TotalMilliseconds, ex.GetType().Name);
                        return null;
                    }

                    LogRetrying(logger, attempt, delay.TotalMilliseconds, ex.GetType().Name);
                }
                catch (Exception ex)
                {
                    _fault ??= ex;
                    return null;
                }

                // Jitter spreads the retries of the many workloads that failed together with one silo.
                try
                {
                    await Task.Delay(delay * (0.75 + Random.Shared.NextDouble() / 2), _stalled.Token);
                }
                catch (OperationCanceledException)
                {
                    LogGaveUp(logger, attempt, _clock.Elapsed.TotalMilliseconds, "straggler");
                    return null;
                }

                delay *= 2;
            }
        }

        /// <summary>Until the batch's time limit (deadline plus one retry budget), and within the retry budget once retrying.</summary>
        private TimeSpan Remaining(Stopwatch? retrying)
        {
            var left = options.BatchDeadline + options.RetryBudget - _clock.Elapsed;
            if (retrying is not null && options.RetryBudget - retrying.Elapsed < left) left = options.RetryBudget - retrying.Elapsed;
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }

        private static void Observe(Task call) =>
            call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    // Per attempt, like Polly's attempts: Debug. A workload that is given up on is named in the answer, which the client sees.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Workload call failed on attempt {Attempt} ({Failure}); retrying in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, int attempt, double delayMs, string failure);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Workload call given up after {Attempt} attempts and {ElapsedMs} ms ({Failure}); answered as failed")]
    private static partial void LogGaveUp(ILogger logger, int attempt, double elapsedMs, string failure);
}

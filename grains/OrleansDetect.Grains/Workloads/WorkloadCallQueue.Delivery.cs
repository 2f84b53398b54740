using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace OrleansDetect.Grains.Workloads;

public sealed partial class WorkloadCallQueue
{
    /// <summary>
    /// One request's segments and their answers, with the request's time limits: no segment is sent after
    /// <see cref="IngestRetryOptions.BatchDeadline"/>; none is waited for beyond that plus one retry budget; and once
    /// every segment of a keyed request has been sent, those still open when the request has gone
    /// <see cref="Silence"/> without an answer are given up (a silo killed mid-call is declared dead only seconds
    /// later, and the rest of the request should not wait for it). Giving up a segment that may still complete is safe
    /// only when its resend is answered from memory: keyed requests. Answers come from many lanes at once: every
    /// segment changes state by compare-and-swap.
    /// </summary>
    private sealed class Delivery
    {
        private const int Waiting = 0, InFlight = 1, Answered = 2, Failed = 3;

        private readonly IngestRetryOptions _options;
        private readonly ILogger _logger;
        private readonly WorkloadIngestResult[] _results;

        // Each segment moves Waiting → InFlight → Answered or Failed, by compare-and-swap: lanes answer a request's
        // segments from many threads at once, and the one that ends the last open segment completes the request.
        private readonly int[] _state;
        private readonly long _started = Stopwatch.GetTimestamp();
        private readonly TaskCompletionSource<IngestResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Timer _limits;
        private int _open;
        private int _unsent;
        private int _answered;
        private long _lastAnswerTicks;
        private Exception? _fault;
        private volatile bool _pastDeadline;

        public Delivery(int segments, IngestBatchKey key, Activity? span, IngestRetryOptions options, ILogger logger)
        {
            Key = key;
            Span = span;
            _options = options;
            _logger = logger;
            _results = new WorkloadIngestResult[segments];
            _state = new int[segments];
            _open = segments;
            _unsent = segments;
            _limits = new Timer(static d => ((Delivery)d!).OnDeadline(), this, options.BatchDeadline, Timeout.InfiniteTimeSpan);
        }

        public IngestBatchKey Key { get; }

        /// <summary>The request's span (null when nobody traces): the parent of calls whose first segment is this request's.</summary>
        public Activity? Span { get; }

        public Task<IngestResult> Completion => _completion.Task;

        private bool Done => _completion.Task.IsCompleted;

        private TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

        private TimeSpan LastAnswer => TimeSpan.FromTicks(Volatile.Read(ref _lastAnswerTicks));

        /// <summary>Whether the request is past the deadline after which none of its segments is sent.</summary>
        public bool PastDeadline => _pastDeadline || Elapsed >= _options.BatchDeadline;

        /// <summary>Whether a lane may still send this segment: the request waits for it and its deadline has not passed.</summary>
        public bool MaySend(int index)
        {
            var state = Volatile.Read(ref _state[index]);
            if (state is Answered or Failed || Done) return false;
            if (state == Waiting && PastDeadline)
            {
                End(index, Failed);
                return false;
            }

            return true;
        }

        public void Sent(int index)
        {
            if (Interlocked.CompareExchange(ref _state[index], InFlight, Waiting) != Waiting) return;
            if (Interlocked.Decrement(ref _unsent) == 0 && !Key.IsNone && !Done) _ = WatchTailAsync();
        }

        public void Answer(int index, WorkloadIngestResult result)
        {
            // Written before the state: whoever completes the request reads results only of segments marked Answered.
            _results[index] = result;
            if (!End(index, Answered)) return;
            Interlocked.Increment(ref _answered);
            Volatile.Write(ref _lastAnswerTicks, Elapsed.Ticks);
        }

        public void Fail(int index, Exception? fault)
        {
            if (fault is not null) Interlocked.CompareExchange(ref _fault, fault, null);
            End(index, Failed);
        }

        /// <summary>Ends a segment that is still open; the last one to end completes the request.</summary>
        private bool End(int index, int outcome)
        {
            while (true)
            {
                var state = Volatile.Read(ref _state[index]);
                if (state is Answered or Failed) return false;
                if (Interlocked.CompareExchange(ref _state[index], outcome, state) != state) continue;
                if (state == Waiting) Interlocked.Decrement(ref _unsent);
                if (Interlocked.Decrement(ref _open) == 0) Finish();
                return true;
            }
        }

        /// <summary>At the deadline nothing more is sent; one retry budget later, nothing more is waited for.</summary>
        private void OnDeadline()
        {
            if (Done) return;
            if (!_pastDeadline)
            {
                _pastDeadline = true;
                for (var i = 0; i < _state.Length; i++)
                {
                    if (Volatile.Read(ref _state[i]) == Waiting) End(i, Failed);
                }

                if (!Done) _limits.Change(_options.RetryBudget, Timeout.InfiniteTimeSpan);
                return;
            }

            LogGaveUp(_logger, 1, Elapsed.TotalMilliseconds, "time limit");
            GiveUp();
        }

        /// <summary>
        /// Gives up the segments still open once the request has gone <see cref="Silence"/> without an answer. A request
        /// none of whose segments answered has nothing to compare with: only the time limit applies.
        /// </summary>
        private async Task WatchTailAsync()
        {
            while (!Done)
            {
                var lastAnswer = LastAnswer;
                var quiet = Elapsed - lastAnswer;
                var allowed = Silence(lastAnswer);
                var answered = Volatile.Read(ref _answered) > 0;
                if (answered && quiet >= allowed)
                {
                    LogGaveUp(_logger, 1, Elapsed.TotalMilliseconds, "straggler");
                    GiveUp();
                    return;
                }

                await Task.Delay(answered ? allowed - quiet : _options.StragglerTimeout).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// How long the tail may go without an answer: <see cref="IngestRetryOptions.StragglerTimeout"/>, or as long as
        /// the request took to its latest answer when that is longer (a busy cluster answers slowly, not never).
        /// </summary>
        private TimeSpan Silence(TimeSpan lastAnswer) => lastAnswer > _options.StragglerTimeout ? lastAnswer : _options.StragglerTimeout;

        private void GiveUp()
        {
            for (var i = 0; i < _state.Length && !Done; i++)
            {
                End(i, Failed);
            }
        }

        private void Finish()
        {
            _limits.Dispose();

            // A failure that is not about membership fails the request as before; the client's resend with the same key
            // is answered from memory by the workloads that did process it.
            if (Volatile.Read(ref _fault) is { } fault)
            {
                _completion.TrySetException(fault);
                return;
            }

            int accepted = 0, late = 0, failed = 0;
            for (var i = 0; i < _state.Length; i++)
            {
                if (_state[i] == Answered)
                {
                    accepted += _results[i].Accepted;
                    late += _results[i].Late;
                }
                else
                {
                    failed++;
                }
            }

            int[]? failedIndices = null;
            if (failed > 0)
            {
                failedIndices = new int[failed];
                var f = 0;
                for (var i = 0; i < _state.Length; i++)
                {
                    if (_state[i] != Answered) failedIndices[f++] = i;
                }
            }

            _completion.TrySetResult(new IngestResult(accepted, late, failedIndices));
        }
    }
}

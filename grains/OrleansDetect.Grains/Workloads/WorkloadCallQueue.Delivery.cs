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
    /// member takes the delivery's lock.
    /// </summary>
    private sealed class Delivery
    {
        private const byte Waiting = 0, InFlight = 1, Answered = 2, Failed = 3;

        private readonly Lock _lock = new();
        private readonly IngestRetryOptions _options;
        private readonly ILogger _logger;
        private readonly WorkloadIngestResult[] _results;
        private readonly byte[] _state;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly TaskCompletionSource<IngestResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Timer _limits;
        private int _open;
        private int _unsent;
        private int _answered;
        private TimeSpan _lastAnswer;
        private Exception? _fault;
        private bool _pastDeadline;
        private bool _done;

        public Delivery(int segments, IngestBatchKey key, IngestRetryOptions options, ILogger logger)
        {
            Key = key;
            _options = options;
            _logger = logger;
            _results = new WorkloadIngestResult[segments];
            _state = new byte[segments];
            _open = segments;
            _unsent = segments;
            _limits = new Timer(static d => ((Delivery)d!).OnDeadline(), this, options.BatchDeadline, Timeout.InfiniteTimeSpan);
        }

        public IngestBatchKey Key { get; }

        public Task<IngestResult> Completion => _completion.Task;

        /// <summary>Whether a lane may still send this segment: the request waits for it and its deadline has not passed.</summary>
        public bool MaySend(int index)
        {
            lock (_lock)
            {
                if (_done || _state[index] is Answered or Failed) return false;
                if (_state[index] == Waiting && (_pastDeadline || _clock.Elapsed >= _options.BatchDeadline))
                {
                    FailLocked(index);
                    return false;
                }

                return true;
            }
        }

        public void Sent(int index)
        {
            lock (_lock)
            {
                if (_done || _state[index] != Waiting) return;
                _state[index] = InFlight;
                if (--_unsent == 0 && !Key.IsNone) _ = WatchTailAsync();
            }
        }

        public void Answer(int index, WorkloadIngestResult result)
        {
            lock (_lock)
            {
                if (_done || _state[index] is Answered or Failed) return;
                _results[index] = result;
                _state[index] = Answered;
                _answered++;
                _lastAnswer = _clock.Elapsed;
                if (--_open == 0) FinishLocked();
            }
        }

        public void Fail(int index, Exception? fault)
        {
            lock (_lock)
            {
                if (_done || _state[index] is Answered or Failed) return;
                if (fault is not null) _fault ??= fault;
                FailLocked(index);
            }
        }

        private void FailLocked(int index)
        {
            if (_state[index] == Waiting) _unsent--;
            _state[index] = Failed;
            if (--_open == 0) FinishLocked();
        }

        /// <summary>At the deadline nothing more is sent; one retry budget later, nothing more is waited for.</summary>
        private void OnDeadline()
        {
            lock (_lock)
            {
                if (_done) return;
                if (!_pastDeadline)
                {
                    _pastDeadline = true;
                    for (var i = 0; i < _state.Length && !_done; i++)
                    {
                        if (_state[i] == Waiting) FailLocked(i);
                    }

                    if (!_done) _limits.Change(_options.RetryBudget, Timeout.InfiniteTimeSpan);
                    return;
                }

                LogGaveUp(_logger, 1, _clock.Elapsed.TotalMilliseconds, "time limit");
                GiveUpLocked();
            }
        }

        /// <summary>
        /// Gives up the segments still open once the request has gone <see cref="Silence"/> without an answer. A request
        /// none of whose segments answered has nothing to compare with: only the time limit applies.
        /// </summary>
        private async Task WatchTailAsync()
        {
            while (true)
            {
                TimeSpan wait;
                lock (_lock)
                {
                    if (_done) return;
                    var quiet = _clock.Elapsed - _lastAnswer;
                    var allowed = Silence();
                    if (_answered > 0 && quiet >= allowed)
                    {
                        LogGaveUp(_logger, 1, _clock.Elapsed.TotalMilliseconds, "straggler");
                        GiveUpLocked();
                        return;
                    }

                    wait = _answered > 0 ? allowed - quiet : _options.StragglerTimeout;
                }

                await Task.Delay(wait).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// How long the tail may go without an answer: <see cref="IngestRetryOptions.StragglerTimeout"/>, or as long as
        /// the request took to its latest answer when that is longer (a busy cluster answers slowly, not never).
        /// </summary>
        private TimeSpan Silence() => _lastAnswer > _options.StragglerTimeout ? _lastAnswer : _options.StragglerTimeout;

        private void GiveUpLocked()
        {
            for (var i = 0; i < _state.Length && !_done; i++)
            {
                if (_state[i] is Waiting or InFlight) FailLocked(i);
            }
        }

        private void FinishLocked()
        {
            _done = true;
            _limits.Dispose();

            // A failure that is not about membership fails the request as before; the client's resend with the same key
            // is answered from memory by the workloads that did process it.
            if (_fault is not null)
            {
                _completion.TrySetException(_fault);
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

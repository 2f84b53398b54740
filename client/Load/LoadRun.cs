using System.Buffers;
using System.Diagnostics;
using OrleansDetect.Client.Gateway;

namespace OrleansDetect.Client.Load;

/// <summary>What <c>load</c> was asked to do.</summary>
/// <param name="Rate">Events per second; 0 sends as fast as the gateway takes them.</param>
internal sealed record LoadSettings(int Workloads, int Rate, TimeSpan Duration, int BatchSize, int Concurrency)
{
    public const int MaxWorkloads = 1_000_000;
    public const double MaxSkew = 10;
    public const int MaxRotatePerSecond = 1_000_000;
    public const long MaxWorkloadOffset = 1_000_000_000_000;

    /// <summary>How often a sweep-completing batch is injected to measure alert latency.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A sweep whose alert is not visible this long after its POST started counts as missed.</summary>
    public TimeSpan AlertDeadline { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan AlertPollInterval { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Distinct public targets in an injected sweep: above the public threshold of 25.</summary>
    public int SweepTargets { get; init; } = 30;

    public TimeSpan ReportInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Percentage of the workloads that send failed connections (the rest only established ones).</summary>
    public int ProbingPercent { get; init; } = 100;

    /// <summary>Latencies of sweeps injected before this point are reported separately (cold JIT, first activations).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.Zero;

    /// <summary>Zipf exponent of the workloads' shares of the traffic (<c>--skew</c>); 0 = uniform.</summary>
    public double Skew { get; init; }

    /// <summary>Workloads replaced by fresh ones per second of the run (<c>--rotate</c>); 0 = the same workloads throughout.</summary>
    public int RotatePerSecond { get; init; }

    /// <summary>Index of the first workload (<c>--workload-offset</c>): load-w{offset} onwards.</summary>
    public long WorkloadOffset { get; init; }
}

/// <summary>
/// The <c>load</c> command: <see cref="LoadSettings.Concurrency"/> senders post synthetic batches (paced to the
/// rate, if one is set) while a prober injects one sweep a second for a fresh workload and times how long its
/// alert takes to show up in <c>GET /api/v1/alerts</c>. Prints throughput and alert latency every second.
/// </summary>
internal sealed class LoadRun(IIngestTarget target, LoadSettings settings, TextWriter output)
{
    public const int ExitClean = 0;
    public const int ExitRejectedOrMissed = 1;
    public const int ExitHttpErrors = 2;

    private readonly LatencyRecorder _latency = new();
    private readonly LatencyRecorder _warmupLatency = new();
    private readonly string _run = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..6];
    private long _scheduled;
    private long _sent;
    private long _accepted;
    private long _rejected;
    private long _httpErrors;
    private long _retries;
    private long _sweepSendFailures;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var flows = new SyntheticFlows(settings.Workloads, probingPercent: settings.ProbingPercent, skew: settings.Skew, firstIndex: settings.WorkloadOffset);
        var batchSize = settings.Rate > 0
            ? Math.Clamp(settings.Rate / 10, 1, settings.BatchSize) // ~100 ms of events per batch keeps a paced run smooth
            : settings.BatchSize;
        output.WriteLine($"load: {settings.Workloads} workloads, {(settings.Rate > 0 ? $"{settings.Rate} events/s" : "as fast as possible")}, " +
                         $"{settings.Duration.TotalSeconds:0.#} s, batches of {batchSize}, concurrency {settings.Concurrency} → {target.Description}");
        if (settings.Skew > 0 || settings.RotatePerSecond > 0 || settings.WorkloadOffset > 0)
        {
            output.WriteLine($"       workloads {flows.Name(settings.WorkloadOffset)}…" +
                             (settings.Skew > 0 ? $", skew {settings.Skew:0.###} (busiest {new ZipfDistribution(settings.Workloads, settings.Skew).TopShare() * 100:0.0}% of events)" : ", uniform") +
                             (settings.RotatePerSecond > 0 ? $", {settings.RotatePerSecond:N0} replaced per second (≈ {flows.Presented(Rotated(settings.Duration)):N0} distinct in the run)" : ""));
        }

        output.WriteLine($"       alert latency: one {settings.SweepTargets}-target sweep every {settings.SweepInterval.TotalSeconds:0.#} s as load-sweep-{_run}-<n>");

        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var senders = Enumerable.Range(0, settings.Concurrency)
            .Select(i => Task.Run(() => SendLoopAsync(flows, batchSize, (ulong)Random.Shared.NextInt64() + (ulong)i, clock, stop.Token), CancellationToken.None))
            .ToArray();
        var prober = Task.Run(() => ProbeLoopAsync(clock, stop.Token), CancellationToken.None);
        var reporter = Task.Run(() => ReportLoopAsync(clock, stop.Token), CancellationToken.None);

        var sendingTime = settings.Duration;
        var interrupted = false;
        try
        {
            await Task.WhenAll(senders);
            sendingTime = clock.Elapsed;
            await prober;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            sendingTime = clock.Elapsed;
            interrupted = true;
            output.WriteLine("interrupted");
        }
        finally
        {
            await stop.CancelAsync();
            await reporter;
        }

        var elapsed = clock.Elapsed;
        var accepted = Interlocked.Read(ref _accepted);
        output.WriteLine($"done in {elapsed.TotalSeconds:0.0} s: sent {Interlocked.Read(ref _sent):N0}, accepted {accepted:N0} " +
                         $"({accepted / Math.Max(sendingTime.TotalSeconds, 0.001):N0}/s while sending), rejected {Interlocked.Read(ref _rejected):N0}, " +
                         $"http errors {Interlocked.Read(ref _httpErrors)} (retries {Interlocked.Read(ref _retries)})" +
                         (settings.RotatePerSecond > 0 ? $"; {flows.Presented(Rotated(sendingTime)):N0} distinct workloads" : ""));
        var summary = _latency.Summarize();
        output.WriteLine($"alert latency (POST start → visible in GET /api/v1/alerts): {summary}" +
                         (_sweepSendFailures > 0 ? $" ({_sweepSendFailures} sweeps could not be sent)" : "") +
                         (settings.Warmup > TimeSpan.Zero ? $" [after {settings.Warmup.TotalSeconds:0.#} s warm-up]" : ""));
        var warmup = _warmupLatency.Summarize();
        if (warmup.Count + warmup.Missed > 0) output.WriteLine($"alert latency during warm-up: {warmup}");

        if (interrupted) return ClientCommandLine.ExitInterrupted;
        if (Interlocked.Read(ref _httpErrors) > 0) return ExitHttpErrors;
        return Interlocked.Read(ref _rejected) > 0 || summary.Missed > 0 || warmup.Missed > 0 ? ExitRejectedOrMissed : ExitClean;
    }

    private async Task SendLoopAsync(SyntheticFlows flows, int batchSize, ulong seed, Stopwatch clock, CancellationToken cancellationToken)
    {
        var writer = flows.CreateWriter(seed);
        var body = new ArrayBufferWriter<byte>(batchSize * 200);
        var resending = new List<Task>();
        while (!cancellationToken.IsCancellationRequested && clock.Elapsed < settings.Duration)
        {
            long spanMs = 10;
            if (settings.Rate > 0)
            {
                // Each batch reserves its slot on the rate's timeline, so senders together keep to the rate.
                var first = Interlocked.Add(ref _scheduled, batchSize) - batchSize;
                var due = TimeSpan.FromSeconds((double)first / settings.Rate);
                if (due >= settings.Duration) break;
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
                spanMs = Math.Min(1000, batchSize * 1000L / settings.Rate);
            }

            body.ResetWrittenCount();
            writer.Write(body, batchSize, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - spanMs, spanMs, Rotated(clock.Elapsed));

            // The sender moves on once the processed part of its batch is confirmed: a remainder whose workloads were on
            // a dead silo is resent in the background (a few per sender at most), so one silo's loss cannot stall it.
            var firstAnswer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var post = SendAsync(body.WrittenMemory, batchSize, firstAnswer, cancellationToken);
            await Task.WhenAny(post, firstAnswer.Task);
            if (!post.IsCompleted) resending.Add(post);
            if (resending.Count >= MaxResendsPerSender) resending.Remove(await Task.WhenAny(resending));
            resending.RemoveAll(t => t.IsCompleted);
        }

        await Task.WhenAll(resending);
    }

    private const int MaxResendsPerSender = 4;

    /// <summary>Workloads replaced by fresh ones this far into the run.</summary>
    private long Rotated(TimeSpan elapsed) => (long)(settings.RotatePerSecond * elapsed.TotalSeconds);

    private async Task SendAsync(ReadOnlyMemory<byte> body, int lines, TaskCompletionSource firstAnswer, CancellationToken cancellationToken)
    {
        var outcome = await target.PostFlowsAsync(body, accepted =>
        {
            Interlocked.Add(ref _accepted, accepted);
            firstAnswer.TrySetResult();
        }, cancellationToken);
        Count(outcome, lines);
    }

    private async Task ProbeLoopAsync(Stopwatch clock, CancellationToken cancellationToken)
    {
        var random = new Random();
        var body = new ArrayBufferWriter<byte>(settings.SweepTargets * 200);
        var next = settings.SweepInterval / 2;
        for (var n = 1; clock.Elapsed < settings.Duration && !cancellationToken.IsCancellationRequested; n++)
        {
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
            if (clock.Elapsed >= settings.Duration) break;
            next += settings.SweepInterval;

            var workload = $"load-sweep-{_run}-{n}";
            body.ResetWrittenCount();
            SyntheticFlows.WriteSweep(body, workload, settings.SweepTargets, port: 22, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), random);

            var recorder = clock.Elapsed < settings.Warmup ? _warmupLatency : _latency;
            var started = Stopwatch.StartNew();
            var outcome = await target.PostFlowsAsync(body.WrittenMemory, accepted => Interlocked.Add(ref _accepted, accepted), cancellationToken);
            Count(outcome, settings.SweepTargets);
            if (!outcome.Succeeded)
            {
                Interlocked.Increment(ref _sweepSendFailures);
                recorder.RecordMiss();
                continue;
            }

            if (await WaitForAlertAsync(workload, started, cancellationToken) is { } latency) recorder.Record(latency);
            else recorder.RecordMiss();
        }
    }

    /// <summary>Polls for the workload's alert; the latency from <paramref name="started"/> when it shows up, null when it does not in time.</summary>
    private async Task<TimeSpan?> WaitForAlertAsync(string workload, Stopwatch started, CancellationToken cancellationToken)
    {
        var query = new AlertQuery(Limit: 5, Workload: workload);
        while (started.Elapsed < settings.AlertDeadline)
        {
            try
            {
                var alerts = await target.GetAlertsAsync(query, cancellationToken);
                if (alerts.Count > 0) return started.Elapsed;
            }
            catch (IngestTargetException)
            {
                // A failed read is like "not there yet": the deadline bounds the loop either way.
            }

            await Task.Delay(settings.AlertPollInterval, cancellationToken);
        }

        return null;
    }

    private void Count(IngestOutcome outcome, int lines)
    {
        Interlocked.Add(ref _sent, lines);
        Interlocked.Add(ref _retries, outcome.Attempts - 1);
        // Accepted events are counted as each part is confirmed (the acknowledgement callback), not here.
        if (outcome.Response is { } response)
        {
            Interlocked.Add(ref _rejected, response.Rejected);
        }
        else
        {
            Interlocked.Increment(ref _httpErrors);
        }
    }

    private async Task ReportLoopAsync(Stopwatch clock, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(settings.ReportInterval);
        long lastAccepted = 0;
        var lastElapsed = TimeSpan.Zero;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var elapsed = clock.Elapsed;
                var accepted = Interlocked.Read(ref _accepted);
                var rate = (accepted - lastAccepted) / Math.Max((elapsed - lastElapsed).TotalSeconds, 0.001);
                (lastAccepted, lastElapsed) = (accepted, elapsed);
                var presented = settings.RotatePerSecond > 0 ? $"  workloads {settings.Workloads + Rotated(elapsed):N0}" : "";
                output.WriteLine($"{elapsed.TotalSeconds,5:0}s  sent {Interlocked.Read(ref _sent),12:N0}  accepted {rate,10:N0}/s{presented}  " +
                                 $"rejected {Interlocked.Read(ref _rejected):N0}  http errors {Interlocked.Read(ref _httpErrors)}  {_latency.Summarize()}");
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over; the final summary follows.
        }
    }
}

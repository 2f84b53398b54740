using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using OrleansDetect.Detection;

namespace OrleansDetect.Grains.Fleet;

/// <summary>
/// The per-silo aggregator: buffers the recon signals of the workload grains on its silo and, every
/// <see cref="FleetOptions.FlushInterval"/>, sends each fleet grain one batch — one call per (protocol, port) with
/// sweeps, one per destination bucket with probes — so no raw event and no per-workload call reaches a shared grain.
/// Bounded by <see cref="FleetOptions.MaxBufferedSignals"/>; what a crash loses is at most one flush interval of signals.
/// </summary>
// One activation per silo: a single buffer, flushed by its timer. Reentrant is safe: Send only appends to the current
// buffers (no await), and a flush swaps them out before its first await.
[StatelessWorker(1), Reentrant]
public sealed partial class ReconSignalGrain(DetectionSettings settings, ReconSignalInbox inbox, IHostApplicationLifetime lifetime, ILogger<ReconSignalGrain> logger)
    : Grain, IReconSignalGrain
{
    private readonly FleetOptions _options = settings.Fleet;
    private Buffer _buffer = new();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(static (grain, _) => grain.Flush(), this,
            new GrainTimerCreationOptions(_options.FlushInterval, _options.FlushInterval) { Interleave = true });
        return Task.CompletedTask;
    }

    // A silo that is stopping drops what it buffered since its last flush: the fleet windows are memory-only, and a
    // stopping single silo has nowhere to place a fleet grain (Orleans' placement retries log at Warning). The timer
    // keeps firing until this activation's turn to deactivate comes, so the flush checks too.
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        reason.ReasonCode == DeactivationReasonCode.ShuttingDown ? Task.CompletedTask : Flush();

    public Task Send(ReconSignals signals)
    {
        Add(signals);
        return Task.CompletedTask;
    }

    private void Add(ReconSignals signals)
    {
        var count = signals.Sweeps.Length + signals.Probes.Length;
        if (_buffer.Count + count > _options.MaxBufferedSignals)
        {
            FleetTelemetry.SignalsDropped.Add(count);
            _buffer.Dropped += count;
            return;
        }

        _buffer.Add(signals, _options.ScanBuckets);
        if (signals.Sweeps.Length > 0) FleetTelemetry.SignalsReceived.Add(signals.Sweeps.Length, new KeyValuePair<string, object?>("kind", "sweep"));
        if (signals.Probes.Length > 0) FleetTelemetry.SignalsReceived.Add(signals.Probes.Length, new KeyValuePair<string, object?>("kind", "probe"));
    }

    public Task Wake() => Task.CompletedTask;

    public async Task Flush()
    {
        _buffer.Dropped += inbox.Drain(Add);

        var buffer = _buffer;
        if ((buffer.Count == 0 && buffer.Dropped == 0) || lifetime.ApplicationStopping.IsCancellationRequested) return;
        _buffer = new Buffer();
        if (buffer.Dropped > 0) LogDropped(logger, buffer.Dropped, _options.MaxBufferedSignals);

        var calls = new List<Task>(buffer.Sweeps.Count + buffer.Probes.Count);
        foreach (var (port, sweeps) in buffer.Sweeps)
        {
            calls.Add(GrainFactory.GetGrain<IFleetSweepGrain>(port).Add(sweeps.ToBatch()));
        }

        foreach (var (bucket, probes) in buffer.Probes)
        {
            calls.Add(GrainFactory.GetGrain<IDistributedScanGrain>(bucket).Add(probes.ToBatch()));
        }

        FleetTelemetry.Flushes.Add(calls.Count);
        try
        {
            await Task.WhenAll(calls);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Fleet detection is best effort beside the per-workload alerts: a lost flush is logged, never retried forever.
            LogFlushFailed(logger, ex.GetType().Name);
        }
    }

    /// <summary>One flush's signals, grouped by the fleet grain that takes them.</summary>
    private sealed class Buffer
    {
        public Dictionary<string, Grouped<SweepSignal>> Sweeps { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Grouped<ProbeSignal>> Probes { get; } = new(StringComparer.Ordinal);
        public int Count;
        public long Dropped;

        public void Add(ReconSignals signals, int buckets)
        {
            foreach (var sweep in signals.Sweeps)
            {
                var key = FleetSweepWindow.Group(sweep.SweepKey.Protocol, sweep.SweepKey.Port ?? 0);
                if (!Sweeps.TryGetValue(key, out var group)) Sweeps[key] = group = new Grouped<SweepSignal>();
                group.Add(signals.Workload, signals.WatermarkMs, sweep);
            }

            foreach (var probe in signals.Probes)
            {
                var key = DistributedScanWindow.Bucket(probe.Dst, buckets).ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (!Probes.TryGetValue(key, out var group)) Probes[key] = group = new Grouped<ProbeSignal>();
                group.Add(signals.Workload, signals.WatermarkMs, probe);
            }

            Count += signals.Sweeps.Length + signals.Probes.Length;
        }
    }

    /// <summary>Signals for one fleet grain, each workload named once.</summary>
    private sealed class Grouped<T>
    {
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
        private readonly List<string> _workloads = [];
        private readonly List<long> _watermarks = [];
        private readonly List<int> _of = [];
        private readonly List<T> _signals = [];

        public void Add(string workload, long watermarkMs, T signal)
        {
            if (!_index.TryGetValue(workload, out var at))
            {
                at = _workloads.Count;
                _index.Add(workload, at);
                _workloads.Add(workload);
                _watermarks.Add(watermarkMs);
            }
            else if (watermarkMs > _watermarks[at])
            {
                _watermarks[at] = watermarkMs;
            }

            _of.Add(at);
            _signals.Add(signal);
        }

        public FleetSignalBatch<T> ToBatch() => new([.. _workloads], [.. _watermarks], [.. _of], [.. _signals]);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recon aggregator dropped {Count} signals: more than {Limit} queued between flushes (Detection:Fleet:MaxBufferedSignals)")]
    private static partial void LogDropped(ILogger logger, long count, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recon aggregator could not deliver a flush to the fleet grains ({ErrorType}); those signals are lost")]
    private static partial void LogFlushFailed(ILogger logger, string errorType);
}

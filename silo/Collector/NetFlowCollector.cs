using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using OrleansDetect.Detection;
using OrleansDetect.Grains.Diagnostics;
using OrleansDetect.Ingest;
using OrleansDetect.Ingest.NetFlow;

namespace OrleansDetect.Silo.Collector;

/// <summary>
/// The UDP collector: one socket for NetFlow v5, v9 and IPFIX. The receive loop only decodes and stitches; a flush
/// loop hands what accumulated to the ingest router every <c>FlushInterval</c> (or sooner when a batch is full) and
/// awaits it there, so a slow grain never holds up the socket. Both loops share the decoder state under one lock,
/// which the receive loop holds for one datagram and the flush loop for one swap.
/// </summary>
public sealed partial class NetFlowCollector(
    IOptions<NetFlowCollectorOptions> options,
    IGrainFactory grains,
    TimeProvider clock,
    ILogger<NetFlowCollector> logger) : BackgroundService
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly SemaphoreSlim _flushNow = new(0, 1);
    private readonly List<StitchedFlow> _stitched = [];
    private readonly ExportedFlowBuffer _records = new(1024);
    private NetFlowCollectorOptions _options = null!;
    private FlowExportDecoder _decoder = null!;
    private FlowStitcher _stitcher = null!;
    private (CidrBlock Block, string Name)[] _byCidr = [];
    private Dictionary<NetAddress, string> _byExporter = [];
    private WorkloadBatches _batches = new(1024);
    private Socket? _socket;
    private volatile bool _stopping;
    private long _lastWarningTicks;

    /// <summary>Templates held over all exporters (the template gauge reads it).</summary>
    public int Templates { get; private set; }

    /// <summary>What the kernel keeps for datagrams waiting on the socket (<c>ReceiveBufferBytes</c>, unless capped).</summary>
    public int ReceiveBufferBytes { get; private set; }

    /// <summary>Where the collector listens; null when it is off.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>What each exporter has sent, for the log and the host view (a snapshot under the lock).</summary>
    public IReadOnlyList<ExporterStatistics> Exporters()
    {
        lock (_gate)
        {
            return _decoder is null ? [] : [.. _decoder.Exporters];
        }
    }

    /// <summary>Binds before the host reports started, so a taken port or bad address stops the silo at start.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _options = options.Value;
        if (_options.Port is not { } port)
        {
            return Task.CompletedTask;
        }

        _decoder = new FlowExportDecoder(new FlowDecoderOptions
        {
            TemplateLifetime = _options.TemplateLifetime,
            TemplateWait = _options.TemplateWait,
            MaxTemplatesPerExporter = _options.MaxTemplatesPerExporter,
            MaxExporters = _options.MaxExporters,
        });
        _stitcher = new FlowStitcher((long)_options.StitchWindow.TotalMilliseconds);
        _byCidr = [.. _options.Workloads.Where(r => r.Cidr is not null)
            .Select(r => (CidrBlock.TryParse(r.Cidr, out var block) ? block : default, r.Name!))
            .OrderByDescending(r => r.Item1.PrefixLength)];
        _byExporter = _options.Workloads.Where(r => r.Exporter is not null)
            .ToDictionary(r => NetAddress.Parse(r.Exporter!), r => r.Name!);

        var address = IPAddress.Parse(_options.Address);
        _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        ReceiveBufferBytes = ReceiveBuffer.Set(_socket, _options.ReceiveBufferBytes);
        _socket.Bind(new IPEndPoint(address, port));
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        CollectorTelemetry.Observe(this);
        LogListening(logger, LocalEndPoint.ToString(), ReceiveBufferBytes);
        if (ReceiveBufferBytes < _options.ReceiveBufferBytes) LogReceiveBufferCapped(logger, ReceiveBufferBytes, _options.ReceiveBufferBytes);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A thread of its own: the thread pool is busy with the grains exactly when exporters send most, and every
        // millisecond the loop waits for a pool thread is a millisecond of datagrams the socket buffer must hold.
        var receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "netflow-receive" };
        receiver.Start();
        try
        {
            await FlushLoopAsync(stoppingToken);
        }
        finally
        {
            // Closing the socket ends the blocking receive (a batch receive sees the flag within its timeout).
            _stopping = true;
            _socket?.Dispose();
            receiver.Join(TimeSpan.FromSeconds(5));
        }

        // What is still waiting goes out before the silo stops.
        await FlushAsync(all: true, CancellationToken.None);
    }

    private void ReceiveLoop()
    {
        if (DatagramBatch.IsSupported && ReceiveBatches()) return;
        ReceiveOneByOne();
    }

    /// <summary>Receives with <c>recvmmsg</c> until the collector stops; false (at once) when the platform lacks it.</summary>
    private bool ReceiveBatches()
    {
        const int EINTR = 4, EAGAIN = 11, ENOSYS = 38;
        var socket = _socket!;
        var handle = socket.SafeHandle;
        var added = false;

        // Holding a reference keeps the descriptor open (and its number from being reused by another socket) while a
        // call is in the kernel; the receive timeout wakes the loop to see that the collector is stopping.
        handle.DangerousAddRef(ref added);
        try
        {
            socket.Blocking = true;
            socket.ReceiveTimeout = 250;
            using var batch = new DatagramBatch();
            while (!_stopping)
            {
                int count, errno;
                try
                {
                    count = batch.Receive(handle, out errno);
                }
                catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
                {
                    socket.ReceiveTimeout = 0;
                    return false;
                }

                if (count > 0)
                {
                    ReceiveOne(batch, count);
                    continue;
                }

                if (count == 0 || errno is EAGAIN or EINTR) continue;
                if (errno == ENOSYS)
                {
                    socket.ReceiveTimeout = 0;
                    return false;
                }

                // ICMP port-unreachable for an earlier send and the like: nothing to do with the next datagram.
                if (ShouldWarn()) LogReceiveFailed(logger, $"errno {errno}");
                Thread.Sleep(1);
            }

            return true;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private void ReceiveOne(DatagramBatch batch, int count)
    {
        try
        {
            Receive(batch, count);
        }
        catch (Exception ex)
        {
            // The decoders are built never to throw (property-tested); should one still, the loop keeps receiving.
            CollectorTelemetry.Dropped.Add(1, new KeyValuePair<string, object?>("reason", "error"));
            if (ShouldWarn()) LogDecodeFailed(logger, batch.Sender(0).ToString(), ex);
        }
    }

    private void ReceiveOneByOne()
    {
        var socket = _socket!;
        var buffer = GC.AllocateArray<byte>(65_536, pinned: true);
        var from = new SocketAddress(socket.AddressFamily);
        while (true)
        {
            int length;
            try
            {
                length = socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.Interrupted or SocketError.OperationAborted or SocketError.Shutdown)
            {
                return;
            }
            catch (SocketException ex)
            {
                // ICMP port-unreachable for an earlier send and the like: nothing to do with the next datagram.
                LogReceiveFailed(logger, ex.SocketErrorCode.ToString());
                continue;
            }

            var exporter = ExporterOf(from);
            try
            {
                Receive(buffer.AsSpan(0, length), exporter);
            }
            catch (Exception ex)
            {
                // The decoders are built never to throw (property-tested); should one still, the loop keeps receiving.
                CollectorTelemetry.Dropped.Add(1, new KeyValuePair<string, object?>("reason", "error"));
                if (ShouldWarn()) LogDecodeFailed(logger, exporter.ToString(), ex);
            }
        }
    }

    private void Receive(ReadOnlySpan<byte> datagram, NetAddress exporter)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        long lost = 0;
        DatagramDrop drop;
        int events;
        lock (_gate)
        {
            drop = DecodeLocked(datagram, exporter, now, ref lost);
            AddStitched();
            events = _batches.Count;
        }

        CollectorTelemetry.Datagrams.Add(1);
        if (lost > 0) CollectorTelemetry.SequenceLost.Add(lost);
        if (drop != DatagramDrop.None) CountDrop(exporter, drop, datagram.Length);
        SignalFlushWhenFull(events);
    }

    /// <summary>A <see cref="DatagramBatch"/>'s datagrams, under one lock.</summary>
    private void Receive(DatagramBatch batch, int count)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        long lost = 0;
        Span<DatagramDrop> drops = stackalloc DatagramDrop[DatagramBatch.Capacity];
        int events;
        lock (_gate)
        {
            for (var i = 0; i < count; i++) drops[i] = DecodeLocked(batch.Datagram(i), batch.Sender(i), now, ref lost);
            AddStitched();
            events = _batches.Count;
        }

        CollectorTelemetry.Datagrams.Add(count);
        if (lost > 0) CollectorTelemetry.SequenceLost.Add(lost);
        for (var i = 0; i < count; i++)
        {
            if (drops[i] != DatagramDrop.None) CountDrop(batch.Sender(i), drops[i], batch.Datagram(i).Length);
        }

        SignalFlushWhenFull(events);
    }

    /// <summary>Decodes one datagram and stitches its records. Called under the lock.</summary>
    private DatagramDrop DecodeLocked(ReadOnlySpan<byte> datagram, NetAddress exporter, long now, ref long lost)
    {
        _records.Clear();
        var lostBefore = _decoder.SequenceLost;
        var drop = _decoder.Decode(datagram, exporter, now, _records);
        lost += _decoder.SequenceLost - lostBefore;
        Templates = _decoder.Templates;
        CollectorTelemetry.Records.Add(_records.Count);
        var unsupportedBefore = _stitcher.UnsupportedProtocol;
        foreach (ref readonly var record in _records.Records)
        {
            _stitcher.Add(record, now, _stitched);
        }

        if (_stitcher.UnsupportedProtocol != unsupportedBefore)
        {
            CollectorTelemetry.UnsupportedProtocol.Add(_stitcher.UnsupportedProtocol - unsupportedBefore);
        }

        return drop;
    }

    private void CountDrop(NetAddress exporter, DatagramDrop drop, int length)
    {
        CollectorTelemetry.Dropped.Add(1, new KeyValuePair<string, object?>("reason", drop.Name()));
        WarnMalformed(exporter, drop, length);
    }

    private void SignalFlushWhenFull(int events)
    {
        if (events >= _options.MaxBatchEvents && _flushNow.CurrentCount == 0)
        {
            try
            {
                _flushNow.Release();
            }
            catch (SemaphoreFullException)
            {
                // The flush loop was signalled already.
            }
        }
    }

    /// <summary>Moves stitched flows into the current batch, by workload. Called under the lock.</summary>
    private void AddStitched()
    {
        foreach (var flow in _stitched)
        {
            if (_batches.Count >= _options.MaxBacklogEvents)
            {
                CollectorTelemetry.BacklogDropped.Add(1);
                continue;
            }

            if (flow.IsSampled) CollectorTelemetry.SampledEvents.Add(1);
            var src = flow.Event.Src;
            var workload = -1;
            foreach (var (block, name) in _byCidr)
            {
                if (block.Contains(src))
                {
                    workload = _batches.WorkloadNamed(name);
                    break;
                }
            }

            if (workload < 0)
            {
                workload = _byExporter.Count > 0 && _byExporter.TryGetValue(flow.Exporter, out var named)
                    ? _batches.WorkloadNamed(named)
                    : _batches.WorkloadOfSource(src);
            }

            // Sampled flows say so down to the alert: its counts are a lower bound.
            _batches.Add(workload, flow.IsSampled ? flow.Event with { SamplingInterval = flow.SamplingInterval } : flow.Event);
        }

        _stitched.Clear();
    }

    private async Task FlushLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _flushNow.WaitAsync(_options.FlushInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await FlushAsync(all: false, stoppingToken);
        }
    }

    private async Task FlushAsync(bool all, CancellationToken cancellationToken)
    {
        if (_decoder is null) return;
        WorkloadBatches full;
        int events;
        lock (_gate)
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            _stitcher.Flush(now, _stitched, all);
            AddStitched();
            _decoder.ExpireHeld(now);
            events = _batches.Count;
            if (events == 0) return;

            // Only the swap happens under the lock: copying out a large backlog must not hold up the receive loop.
            full = _batches;
            _batches = new WorkloadBatches(Math.Min(events, _options.MaxBatchEvents));
        }

        var batch = full.Build();

        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await grains.GetGrain<IIngestRouterGrain>(0).Ingest(batch).WaitAsync(cancellationToken);
            // Workloads the router could not reach (their silo died) lose this batch: nobody to resend it.
            var lost = result.AnyFailed ? result.Failed!.Sum(i => batch[i].Events.Length) : 0;
            if (lost > 0) CollectorTelemetry.BacklogDropped.Add(lost);
            events -= lost;
            CollectorTelemetry.Events.Add(events);
            DetectTelemetry.EventsAccepted.Add(events);
            DetectTelemetry.BatchSize.Record(events);
            DetectTelemetry.IngestDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Flow export is fire-and-forget: there is nobody to answer 503 to, so the batch is counted as lost.
            CollectorTelemetry.BacklogDropped.Add(events);
            LogIngestFailed(logger, events, ex.GetType().Name);
        }
    }

    /// <summary>The sender's address, read from the socket address without allocating (sockaddr_in / sockaddr_in6 layout).</summary>
    private static NetAddress ExporterOf(SocketAddress from)
    {
        var bytes = from.Buffer.Span;
        if (from.Family == AddressFamily.InterNetwork && bytes.Length >= 8)
        {
            return NetAddress.FromV4(BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]));
        }

        if (from.Family == AddressFamily.InterNetworkV6 && bytes.Length >= 24)
        {
            return new NetAddress(BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]));
        }

        return default;
    }

    /// <summary>At most one warning per interval, naming the exporter, however many datagrams are bad.</summary>
    private void WarnMalformed(NetAddress exporter, DatagramDrop drop, int length)
    {
        if (ShouldWarn()) LogDatagramDropped(logger, exporter.ToString(), drop.Name(), length);
    }

    private bool ShouldWarn()
    {
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarningTicks);
        if (last != 0 && Stopwatch.GetElapsedTime(last, now) < WarningInterval) return false;
        return Interlocked.CompareExchange(ref _lastWarningTicks, now, last) == last;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "NetFlow/IPFIX collector listening on udp {Endpoint} (receive buffer {BufferBytes} bytes)")]
    private static partial void LogListening(ILogger logger, string endpoint, int bufferBytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collector receive buffer is {BufferBytes} bytes, not the configured Collector:NetFlow:ReceiveBufferBytes {ConfiguredBytes}: " +
        "the kernel caps it at net.core.rmem_max; raise that (sysctl -w net.core.rmem_max={ConfiguredBytes}) or run the silo with CAP_NET_ADMIN, else bursts are dropped")]
    private static partial void LogReceiveBufferCapped(ILogger logger, int bufferBytes, int configuredBytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a flow export datagram from {Exporter}: {Reason} ({Length} bytes); further drops are counted, logged at most every 10 s")]
    private static partial void LogDatagramDropped(ILogger logger, string exporter, string reason, int length);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not decode a datagram from {Exporter}; further failures are logged at most every 10 s")]
    private static partial void LogDecodeFailed(ILogger logger, string exporter, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collector receive failed: {Error}")]
    private static partial void LogReceiveFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collector could not deliver {Events} flows to the workload grains ({Failure}); they are dropped")]
    private static partial void LogIngestFailed(ILogger logger, int events, string failure);
}

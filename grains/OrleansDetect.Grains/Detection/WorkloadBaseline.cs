using System.Globalization;
using System.Runtime.InteropServices;

namespace OrleansDetect.Detectors;

/// <summary>DNS carried inside TLS, QUIC or HTTPS.</summary>
public enum EncryptedDnsProtocol : byte
{
    /// <summary>DNS-over-TLS, tcp/853.</summary>
    DoT = 1,

    /// <summary>DNS-over-QUIC, udp/853.</summary>
    DoQ = 2,

    /// <summary>DNS-over-HTTPS: tcp or udp 443 to a known resolver address.</summary>
    DoH = 3,
}

/// <summary>A sweep window's current distinct failed destinations, as the baseline samples it.</summary>
public readonly record struct FanOutSample(FlowProtocol Protocol, int Port, TargetScope Scope, int Distinct, int StaticThreshold);

/// <summary>Something whose per-port fan-out the baseline learns: the sweep detector.</summary>
public interface IFanOutSource
{
    /// <summary>Adds every window with at least one destination.</summary>
    void Sample(List<FanOutSample> samples);
}

/// <summary>One remembered encrypted-DNS resolver.</summary>
public struct ResolverStats
{
    public long FirstSeenMs;
    public long LastSeenMs;
    public long Connections;
    public long Bytes;

    /// <summary>Part of the baseline: seen while learning, or used for a whole learning period since.</summary>
    public bool Learned;
}

/// <summary>One encrypted-DNS protocol's volume: the learned per-window estimates and the current window.</summary>
public sealed class ProtocolVolume
{
    public RunningEstimate Connections;
    public RunningEstimate Bytes;
    public int WindowConnections;
    public long WindowBytes;

    /// <summary>This window already alerted: it is not learned as normal.</summary>
    public bool WindowAlerted;

    /// <summary>New-resolver findings raised in this window (bounded, see <see cref="EncryptedDnsDetector"/>).</summary>
    public int WindowNewResolvers;
}

/// <summary>
/// A workload's learned behaviour, in event time: when it started and finished learning, the encrypted-DNS
/// resolvers it uses, its encrypted-DNS volume per window, and its usual distinct failed destinations per
/// (protocol, port, scope) per window. Bounded: at most <see cref="BaselineOptions.MaxResolvers"/> resolvers and
/// <see cref="BaselineOptions.MaxTrackedPorts"/> ports; what falls out is counted.
/// </summary>
/// <remarks>
/// Windows are tumbling, aligned to multiples of <see cref="BaselineOptions.Window"/> in event time. A closed
/// window is learned when the next one opens; windows without any event (the workload was off, or the clock
/// jumped) are skipped rather than learned as zero. After learning, a window that alerted is not learned.
/// </remarks>
public sealed class WorkloadBaseline : IPortThresholdSource
{
    private readonly BaselineOptions _options;
    private readonly long _windowMs;
    private readonly long _learningMs;
    private readonly int _minActiveWindows;
    private readonly Dictionary<ResolverKey, ResolverStats> _resolvers = [];
    private readonly Dictionary<int, FanOut> _fanOut = [];
    private readonly ProtocolVolume[] _volumes = [new(), new(), new()];
    private readonly int[] _learnedResolvers = new int[4];
    private readonly List<FanOutSample> _samples = [];

    public WorkloadBaseline(BaselineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _windowMs = Math.Max(1, (long)options.Window.TotalMilliseconds);
        _learningMs = (long)options.LearningPeriod.TotalMilliseconds;

        // A learning period of seconds (tests, demos, short replays) must end in seconds: never ask for more
        // active windows than the period spans.
        _minActiveWindows = (int)Math.Min(options.MinActiveWindows, Math.Max(1, Math.Ceiling(_learningMs / (double)_windowMs)));
    }

    public long LearningStartMs { get; private set; } = long.MinValue;

    /// <summary>Event time learning completed; <see cref="long.MinValue"/> while learning.</summary>
    public long LearnedAtMs { get; private set; } = long.MinValue;

    public bool IsLearned => LearnedAtMs != long.MinValue;

    /// <summary>Windows with at least one event since learning started.</summary>
    public int ActiveWindows { get; private set; }

    public long WindowStartMs => _windowIndex == long.MinValue ? long.MinValue : _windowIndex * _windowMs;

    public long WindowMs => _windowMs;

    public long ResolversEvicted { get; private set; }

    public long PortsEvicted { get; private set; }

    /// <summary>Bumped by every change worth persisting; the grain writes when it moved.</summary>
    public long Changes { get; private set; }

    public int ResolverCount => _resolvers.Count;

    public int TrackedPorts => _fanOut.Count;

    public BaselineOptions Options => _options;

    private long _windowIndex = long.MinValue;

    /// <summary>
    /// Moves the baseline's clock to an admitted event's time: opens a new window (learning the one that
    /// closed, with the fan-out <paramref name="fanOut"/> reports at that moment) and ends learning when due.
    /// </summary>
    public void Advance(long timeMs, IFanOutSource? fanOut)
    {
        var index = Math.DivRem(timeMs, _windowMs, out var rem);
        if (rem < 0) index--;
        if (_windowIndex == long.MinValue)
        {
            _windowIndex = index;
            LearningStartMs = LearningStartMs == long.MinValue ? timeMs : LearningStartMs;
            ActiveWindows = Math.Max(ActiveWindows, 1);
            Changes++;
        }
        else if (index > _windowIndex)
        {
            CloseWindow(fanOut);
            _windowIndex = index;
            ActiveWindows = ActiveWindows == int.MaxValue ? ActiveWindows : ActiveWindows + 1;
            Changes++;
        }

        if (!IsLearned && timeMs - LearningStartMs >= _learningMs && ActiveWindows >= _minActiveWindows)
        {
            LearnedAtMs = timeMs;
            Changes++;
        }
    }

    /// <summary>Records the current window's fan-out (at each window's end; callers may sample more often for peaks).</summary>
    public void SampleFanOut(IFanOutSource fanOut)
    {
        ArgumentNullException.ThrowIfNull(fanOut);
        _samples.Clear();
        fanOut.Sample(_samples);
        foreach (var sample in _samples)
        {
            ref var entry = ref TrackPort(sample);
            if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref entry))
            {
                continue;
            }

            entry.StaticThreshold = sample.StaticThreshold;
            if (sample.Distinct > entry.Peak)
            {
                entry.Peak = sample.Distinct;
            }
        }
    }

    private void CloseWindow(IFanOutSource? fanOut)
    {
        if (fanOut is not null)
        {
            SampleFanOut(fanOut);
        }

        double? alpha = IsLearned ? _options.AdaptRate : null;
        foreach (var key in _fanOut.Keys)
        {
            ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_fanOut, key);
            var peak = entry.Peak;
            entry.Peak = 0;

            // A window that reached its threshold after learning is an alert, not the workload's normal.
            var applies = Math.Max(entry.StaticThreshold, LearnedFloor(key));
            if (IsLearned && applies > 0 && peak >= applies)
            {
                continue;
            }

            entry.Estimate.Add(peak, alpha);
        }

        foreach (var volume in _volumes)
        {
            var used = volume.Connections.Windows > 0 || volume.WindowConnections > 0;
            if (used && !(IsLearned && volume.WindowAlerted))
            {
                volume.Connections.Add(volume.WindowConnections, alpha);
                volume.Bytes.Add(volume.WindowBytes, alpha);
            }

            volume.WindowConnections = 0;
            volume.WindowBytes = 0;
            volume.WindowAlerted = false;
            volume.WindowNewResolvers = 0;
        }
    }

    private ref FanOut TrackPort(FanOutSample sample)
    {
        var key = PackPort(sample.Protocol, sample.Port, sample.Scope);
        ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_fanOut, key);
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref entry))
        {
            return ref entry;
        }

        if (_fanOut.Count >= _options.MaxTrackedPorts)
        {
            // Forget the least active port, but only for a busier newcomer: otherwise ports would churn each batch.
            // Forgetting only ever lowers a threshold back towards the static one.
            var quietest = 0;
            var quietestHigh = double.MaxValue;
            foreach (var (k, v) in _fanOut)
            {
                var high = Math.Max(v.Estimate.High, v.Peak);
                if (high < quietestHigh)
                {
                    quietest = k;
                    quietestHigh = high;
                }
            }

            if (sample.Distinct <= quietestHigh)
            {
                return ref System.Runtime.CompilerServices.Unsafe.NullRef<FanOut>();
            }

            _fanOut.Remove(quietest);
            PortsEvicted++;
        }

        ref var added = ref CollectionsMarshal.GetValueRefOrAddDefault(_fanOut, key, out _);
        Changes++;
        return ref added;
    }

    /// <inheritdoc />
    public int LearnedFloor(FlowProtocol protocol, int port, TargetScope scope) =>
        IsLearned ? LearnedFloor(PackPort(protocol, port, scope)) : 0;

    private int LearnedFloor(int key)
    {
        if (!IsLearned || !_fanOut.TryGetValue(key, out var entry) || entry.Estimate.Windows == 0)
        {
            return 0;
        }

        return (int)Math.Min(int.MaxValue, Math.Ceiling(_options.SweepMultiplier * entry.Estimate.High));
    }

    /// <inheritdoc />
    public string DescribeFloor(FlowProtocol protocol, int port, TargetScope scope)
    {
        var key = PackPort(protocol, port, scope);
        _fanOut.TryGetValue(key, out var entry);
        return string.Create(CultureInfo.InvariantCulture,
            $"learned baseline threshold {LearnedFloor(key)}: {_options.SweepMultiplier:0.##} × this workload's usual high of {entry.Estimate.High:0.#} distinct failed destinations per {WindowText} (mean {entry.Estimate.Mean:0.#} over {entry.Estimate.Windows} windows)");
    }

    public string WindowText => _options.Window.TotalMinutes >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{_options.Window.TotalMinutes:0.#}-min window")
        : string.Create(CultureInfo.InvariantCulture, $"{_options.Window.TotalSeconds:0.#}-s window");

    public ProtocolVolume Volume(EncryptedDnsProtocol protocol) => _volumes[(int)protocol - 1];

    /// <summary>Whether any resolver of <paramref name="protocol"/> is part of the baseline.</summary>
    public bool HasLearnedResolver(EncryptedDnsProtocol protocol) => _learnedResolvers[(int)protocol] > 0;

    /// <summary>The resolver's entry, or a null ref when it is not remembered.</summary>
    public ref ResolverStats FindResolver(NetAddress address, EncryptedDnsProtocol protocol) =>
        ref CollectionsMarshal.GetValueRefOrNullRef(_resolvers, new ResolverKey(address, protocol));

    /// <summary>Remembers a new resolver, forgetting the least recently used one when full.</summary>
    public ref ResolverStats AddResolver(NetAddress address, EncryptedDnsProtocol protocol, long timeMs, bool learned)
    {
        if (_resolvers.Count >= _options.MaxResolvers)
        {
            var oldest = default(ResolverKey);
            var oldestSeen = long.MaxValue;
            foreach (var (k, v) in _resolvers)
            {
                if (v.LastSeenMs < oldestSeen)
                {
                    oldest = k;
                    oldestSeen = v.LastSeenMs;
                }
            }

            if (_resolvers.Remove(oldest, out var removed) && removed.Learned)
            {
                _learnedResolvers[(int)oldest.Protocol]--;
            }

            ResolversEvicted++;
        }

        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_resolvers, new ResolverKey(address, protocol), out _);
        entry.FirstSeenMs = timeMs;
        entry.LastSeenMs = timeMs;
        entry.Learned = learned;
        if (learned)
        {
            _learnedResolvers[(int)protocol]++;
        }

        Changes++;
        return ref entry;
    }

    /// <summary>Promotes a resolver that has been used for a whole learning period since it first alerted.</summary>
    public void PromoteIfSettled(ref ResolverStats entry, EncryptedDnsProtocol protocol)
    {
        if (!entry.Learned && entry.LastSeenMs - entry.FirstSeenMs >= Math.Max(_learningMs, _windowMs))
        {
            entry.Learned = true;
            _learnedResolvers[(int)protocol]++;
            Changes++;
        }
    }

    /// <summary>Remembered resolvers, most used first.</summary>
    public IEnumerable<(NetAddress Address, EncryptedDnsProtocol Protocol, ResolverStats Stats)> Resolvers() =>
        _resolvers.OrderByDescending(r => r.Value.Connections).Select(r => (r.Key.Address, r.Key.Protocol, r.Value));

    /// <summary>Tracked ports' fan-out figures, most active first.</summary>
    public IEnumerable<(FlowProtocol Protocol, int Port, TargetScope Scope, RunningEstimate Estimate, int CurrentPeak, int LearnedFloor)> FanOutFigures() =>
        _fanOut.OrderByDescending(f => f.Value.Estimate.High)
            .Select(f => ((FlowProtocol)(f.Key >> 24), f.Key & 0xFFFF, (TargetScope)((f.Key >> 16) & 0xFF), f.Value.Estimate, f.Value.Peak, LearnedFloor(f.Key)));

    /// <summary>The persisted form.</summary>
    public BaselineState Export(long eventsSeen, long firstEventMs, long lastEventMs) => new()
    {
        Version = BaselineState.CurrentVersion,
        LearningStartMs = LearningStartMs,
        LearnedAtMs = LearnedAtMs,
        ActiveWindows = ActiveWindows,
        WindowIndex = _windowIndex,
        EventsSeen = eventsSeen,
        FirstEventMs = firstEventMs,
        LastEventMs = lastEventMs,
        ResolversEvicted = ResolversEvicted,
        PortsEvicted = PortsEvicted,
        Resolvers = [.. _resolvers.Select(r => new ResolverRecord
        {
            Address = r.Key.Address,
            Protocol = r.Key.Protocol,
            FirstSeenMs = r.Value.FirstSeenMs,
            LastSeenMs = r.Value.LastSeenMs,
            Connections = r.Value.Connections,
            Bytes = r.Value.Bytes,
            Learned = r.Value.Learned,
        })],
        Volumes = [.. Enum.GetValues<EncryptedDnsProtocol>()
            .Where(p => Volume(p).Connections.Windows > 0)
            .Select(p => new VolumeRecord { Protocol = p, Connections = Volume(p).Connections, Bytes = Volume(p).Bytes })],
        FanOut = [.. _fanOut.Select(f => new FanOutRecord
        {
            Protocol = (FlowProtocol)(f.Key >> 24),
            Port = f.Key & 0xFFFF,
            Scope = (TargetScope)((f.Key >> 16) & 0xFF),
            DistinctFailed = f.Value.Estimate,
        })],
    };

    /// <summary>Loads a stored baseline of any version up to the current one; fields a version lacks start empty.</summary>
    public void Restore(BaselineState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Version > BaselineState.CurrentVersion)
        {
            throw new NotSupportedException($"baseline version {state.Version} is newer than this silo understands ({BaselineState.CurrentVersion})");
        }

        LearningStartMs = state.LearningStartMs;
        LearnedAtMs = state.LearnedAtMs;
        ActiveWindows = state.ActiveWindows;
        _windowIndex = state.WindowIndex;
        ResolversEvicted = state.ResolversEvicted;
        PortsEvicted = state.PortsEvicted;
        foreach (var r in (state.Resolvers ?? []).Take(_options.MaxResolvers))
        {
            if (!Enum.IsDefined(r.Protocol)) continue;
            _resolvers[new ResolverKey(r.Address, r.Protocol)] = new ResolverStats
            {
                FirstSeenMs = r.FirstSeenMs,
                LastSeenMs = r.LastSeenMs,
                Connections = r.Connections,
                Bytes = r.Bytes,
                Learned = r.Learned,
            };
            if (r.Learned) _learnedResolvers[(int)r.Protocol]++;
        }

        foreach (var v in state.Volumes ?? [])
        {
            if (!Enum.IsDefined(v.Protocol)) continue;
            Volume(v.Protocol).Connections = v.Connections;
            Volume(v.Protocol).Bytes = v.Bytes;
        }

        foreach (var f in (state.FanOut ?? []).Take(_options.MaxTrackedPorts))
        {
            _fanOut[PackPort(f.Protocol, f.Port, f.Scope)] = new FanOut { Estimate = f.DistinctFailed };
        }
    }

    private static int PackPort(FlowProtocol protocol, int port, TargetScope scope) => ((int)protocol << 24) | ((int)scope << 16) | (port & 0xFFFF);

    private readonly record struct ResolverKey(NetAddress Address, EncryptedDnsProtocol Protocol);

    private struct FanOut
    {
        public RunningEstimate Estimate;

        /// <summary>Largest distinct count seen in the current window.</summary>
        public int Peak;
        public int StaticThreshold;
    }
}

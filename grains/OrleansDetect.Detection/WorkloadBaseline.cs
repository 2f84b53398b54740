using System.Globalization;
using System.Runtime.InteropServices;

namespace OrleansDetect.Detection;

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
public readonly record struct FanOutSample(PortKey Key, int Distinct, int StaticThreshold);

/// <summary>One encrypted-DNS protocol's counts in a baseline window, as the detector keeps them (index = protocol − 1).</summary>
public struct VolumeWindow
{
    public int Connections;
    public long Bytes;

    /// <summary>This window already alerted: it is not learned as normal.</summary>
    public bool Alerted;

    /// <summary>New-resolver findings raised in this window (bounded by <see cref="EncryptedDnsDetector.MaxNewResolverFindingsPerWindow"/>).</summary>
    public int NewResolvers;
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

/// <summary>One encrypted-DNS protocol's learned per-window connections and bytes.</summary>
public readonly record struct VolumeEstimate(RunningEstimate Connections, RunningEstimate Bytes);

/// <summary>
/// A workload's learned behaviour, in event time: when it started and finished learning, the encrypted-DNS
/// resolvers it uses, its encrypted-DNS volume per window, and its usual distinct failed destinations per
/// (protocol, port, scope) per window. Bounded: at most <see cref="BaselineOptions.MaxResolvers"/> resolvers and
/// <see cref="BaselineOptions.MaxTrackedPorts"/> ports; what falls out is counted.
/// </summary>
/// <remarks>
/// Windows are tumbling, aligned to multiples of <see cref="BaselineOptions.Window"/> in event time. A closed
/// window is learned when the next one opens (<see cref="CloseWindow"/>, fed by the detectors' own counts: the
/// baseline holds learned figures and knows no detector); windows without any event (the workload was off, or
/// the clock jumped) are skipped rather than learned as zero. After learning, a window that alerted is not learned.
/// </remarks>
public sealed class WorkloadBaseline
{
    private readonly BaselineOptions _options;
    private readonly long _windowMs;
    private readonly long _learningMs;
    private readonly int _minActiveWindows;
    private readonly Dictionary<ResolverKey, ResolverStats> _resolvers = [];
    private readonly Dictionary<PortKey, FanOut> _fanOut = [];
    private readonly VolumeEstimate[] _volumes = new VolumeEstimate[3];
    private readonly int[] _learnedResolvers = new int[4];

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

    public long ResolversEvicted { get; private set; }

    public long PortsEvicted { get; private set; }

    /// <summary>Bumped by every change worth persisting; the grain writes when it moved.</summary>
    public long Changes { get; private set; }

    public int ResolverCount => _resolvers.Count;

    public int TrackedPorts => _fanOut.Count;

    public BaselineOptions Options => _options;

    private long _windowIndex = long.MinValue;

    /// <summary>Where the open window ends (exclusive); <see cref="long.MinValue"/> before the first event, so it opens one.</summary>
    private long _nextWindowStartMs = long.MinValue;

    /// <summary>True when an admitted event at <paramref name="timeMs"/> belongs to a later window than the open one: close it first.</summary>
    public bool EndsWindow(long timeMs) => timeMs >= _nextWindowStartMs && _windowIndex != long.MinValue;

    /// <summary>
    /// Moves the baseline's clock to an admitted event's time: opens its window (after <see cref="CloseWindow"/>
    /// when <see cref="EndsWindow"/>) and ends learning when due.
    /// </summary>
    public void Advance(long timeMs)
    {
        // Most events fall in the open window (or, late but admitted, an earlier one): no window arithmetic.
        if (timeMs < _nextWindowStartMs)
        {
            if (!IsLearned) EndLearningIfDue(timeMs);
            return;
        }

        var index = WindowIndex(timeMs);
        if (_windowIndex == long.MinValue)
        {
            _windowIndex = index;
            LearningStartMs = LearningStartMs == long.MinValue ? timeMs : LearningStartMs;
            ActiveWindows = Math.Max(ActiveWindows, 1);
            Changes++;
        }
        else if (index > _windowIndex)
        {
            _windowIndex = index;
            ActiveWindows = ActiveWindows == int.MaxValue ? ActiveWindows : ActiveWindows + 1;
            Changes++;
        }

        _nextWindowStartMs = (_windowIndex + 1) * _windowMs;
        if (!IsLearned) EndLearningIfDue(timeMs);
    }

    private void EndLearningIfDue(long timeMs)
    {
        if (timeMs - LearningStartMs >= _learningMs && ActiveWindows >= _minActiveWindows)
        {
            LearnedAtMs = timeMs;
            Changes++;
        }
    }

    /// <summary>Records the current window's fan-out peaks (at each window's end; callers may sample more often for peaks).</summary>
    public void RecordFanOut(ReadOnlySpan<FanOutSample> samples)
    {
        foreach (var sample in samples)
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

    /// <summary>Learns the open window from the sweep windows' fan-out at its end and its encrypted-DNS counts (one per protocol, DoT first).</summary>
    public void CloseWindow(ReadOnlySpan<FanOutSample> fanOut, ReadOnlySpan<VolumeWindow> volumes)
    {
        RecordFanOut(fanOut);
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

        for (var i = 0; i < volumes.Length && i < _volumes.Length; i++)
        {
            var window = volumes[i];
            ref var volume = ref _volumes[i];
            var used = volume.Connections.Windows > 0 || window.Connections > 0;
            if (used && !(IsLearned && window.Alerted))
            {
                var connections = volume.Connections;
                var bytes = volume.Bytes;
                connections.Add(window.Connections, alpha);
                bytes.Add(window.Bytes, alpha);
                volume = new VolumeEstimate(connections, bytes);
            }
        }
    }

    private long WindowIndex(long timeMs)
    {
        var index = Math.DivRem(timeMs, _windowMs, out var rem);
        return rem < 0 ? index - 1 : index;
    }

    private ref FanOut TrackPort(FanOutSample sample)
    {
        var key = sample.Key;
        ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_fanOut, key);
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref entry))
        {
            return ref entry;
        }

        if (_fanOut.Count >= _options.MaxTrackedPorts)
        {
            // Forget the least active port, but only for a busier newcomer: otherwise ports would churn each batch.
            // Forgetting only ever lowers a threshold back towards the static one.
            var quietest = default(PortKey);
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

    /// <summary>The learned minimum sweep threshold for this port and scope, or 0 while learning or when nothing was learned.</summary>
    public int LearnedFloor(PortKey key)
    {
        if (!IsLearned || !_fanOut.TryGetValue(key, out var entry) || entry.Estimate.Windows == 0)
        {
            return 0;
        }

        return (int)Math.Min(int.MaxValue, Math.Ceiling(_options.SweepMultiplier * entry.Estimate.High));
    }

    /// <summary>Why the learned floor is what it is, for the alert's threshold reason.</summary>
    public string DescribeFloor(PortKey key)
    {
        _fanOut.TryGetValue(key, out var entry);
        return string.Create(CultureInfo.InvariantCulture,
            $"learned baseline threshold {LearnedFloor(key)}: {_options.SweepMultiplier:0.##} × this workload's usual high of {entry.Estimate.High:0.#} distinct failed destinations per {WindowText} (mean {entry.Estimate.Mean:0.#} over {entry.Estimate.Windows} windows)");
    }

    public string WindowText => _options.Window.TotalMinutes >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{_options.Window.TotalMinutes:0.#}-min window")
        : string.Create(CultureInfo.InvariantCulture, $"{_options.Window.TotalSeconds:0.#}-s window");

    /// <summary>The learned per-window volume of one encrypted-DNS protocol.</summary>
    public VolumeEstimate Volume(EncryptedDnsProtocol protocol) => _volumes[(int)protocol - 1];

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
    public IEnumerable<(PortKey Key, RunningEstimate Estimate, int CurrentPeak, int LearnedFloor)> FanOutFigures() =>
        _fanOut.OrderByDescending(f => f.Value.Estimate.High)
            .Select(f => (f.Key, f.Value.Estimate, f.Value.Peak, LearnedFloor(f.Key)));

    /// <summary>What is worth persisting: the learning clock and everything learned.</summary>
    public BaselineSnapshot Export() => new()
    {
        LearningStartMs = LearningStartMs,
        LearnedAtMs = LearnedAtMs,
        ActiveWindows = ActiveWindows,
        WindowIndex = _windowIndex,
        ResolversEvicted = ResolversEvicted,
        PortsEvicted = PortsEvicted,
        Resolvers = [.. _resolvers.Select(r => new ResolverSnapshot(r.Key.Address, r.Key.Protocol, r.Value))],
        Volumes = [.. Enum.GetValues<EncryptedDnsProtocol>()
            .Where(p => Volume(p).Connections.Windows > 0)
            .Select(p => (p, Volume(p)))],
        FanOut = [.. _fanOut.Select(f => (f.Key, f.Value.Estimate))],
    };

    /// <summary>Loads what <see cref="Export"/> wrote (or an older version of it: what a version lacks starts empty), within this workload's bounds.</summary>
    public void Restore(BaselineSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        LearningStartMs = snapshot.LearningStartMs;
        LearnedAtMs = snapshot.LearnedAtMs;
        ActiveWindows = snapshot.ActiveWindows;
        _windowIndex = snapshot.WindowIndex;
        _nextWindowStartMs = _windowIndex == long.MinValue ? long.MinValue : (_windowIndex + 1) * _windowMs;
        ResolversEvicted = snapshot.ResolversEvicted;
        PortsEvicted = snapshot.PortsEvicted;
        foreach (var r in snapshot.Resolvers.Take(_options.MaxResolvers))
        {
            if (!Enum.IsDefined(r.Protocol)) continue;
            _resolvers[new ResolverKey(r.Address, r.Protocol)] = r.Stats;
            if (r.Stats.Learned) _learnedResolvers[(int)r.Protocol]++;
        }

        foreach (var (protocol, volume) in snapshot.Volumes)
        {
            if (!Enum.IsDefined(protocol)) continue;
            _volumes[(int)protocol - 1] = volume;
        }

        foreach (var (key, estimate) in snapshot.FanOut.Take(_options.MaxTrackedPorts))
        {
            _fanOut[key] = new FanOut { Estimate = estimate };
        }
    }

    private readonly record struct ResolverKey(NetAddress Address, EncryptedDnsProtocol Protocol);

    private struct FanOut
    {
        public RunningEstimate Estimate;

        /// <summary>Largest distinct count seen in the current window.</summary>
        public int Peak;
        public int StaticThreshold;
    }
}

/// <summary>A workload baseline's persisted figures; the grain maps it to its stored, versioned form.</summary>
public sealed class BaselineSnapshot
{
    public long LearningStartMs { get; init; } = long.MinValue;
    public long LearnedAtMs { get; init; } = long.MinValue;
    public int ActiveWindows { get; init; }
    public long WindowIndex { get; init; } = long.MinValue;
    public long ResolversEvicted { get; init; }
    public long PortsEvicted { get; init; }
    public IReadOnlyList<ResolverSnapshot> Resolvers { get; init; } = [];
    public IReadOnlyList<(EncryptedDnsProtocol Protocol, VolumeEstimate Volume)> Volumes { get; init; } = [];
    public IReadOnlyList<(PortKey Key, RunningEstimate DistinctFailed)> FanOut { get; init; } = [];
}

/// <summary>One remembered resolver in a <see cref="BaselineSnapshot"/>.</summary>
public readonly record struct ResolverSnapshot(NetAddress Address, EncryptedDnsProtocol Protocol, ResolverStats Stats);

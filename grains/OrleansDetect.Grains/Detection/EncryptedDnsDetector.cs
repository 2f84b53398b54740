using System.Globalization;

namespace OrleansDetect.Detectors;

/// <summary>What an encrypted-DNS finding is about.</summary>
public enum EncryptedDnsFindingKind : byte
{
    /// <summary>The workload's first use of this protocol since learning.</summary>
    FirstUse = 1,

    /// <summary>A resolver that is not in the workload's baseline.</summary>
    NewResolver = 2,

    /// <summary>More connections or bytes in a window than the baseline allows.</summary>
    Volume = 3,
}

/// <summary>One unusual encrypted-DNS observation, with the baseline figures it was judged against.</summary>
public sealed record EncryptedDnsFinding
{
    public static IReadOnlyList<string> Mitre { get; } = ["T1071.004", "T1573.002", "T1572"];

    public required EncryptedDnsFindingKind Kind { get; init; }
    public required EncryptedDnsProtocol Protocol { get; init; }
    public required Severity Severity { get; init; }
    public required NetAddress Resolver { get; init; }

    /// <summary>The well-known or operator-configured name of the resolver; null when it is not a known one.</summary>
    public required string? ResolverName { get; init; }

    /// <summary>Short, for the title: "resolver not in baseline", "first DNS-over-TLS use", "volume 240 connections".</summary>
    public required string Reason { get; init; }
    public required int WindowConnections { get; init; }
    public required long WindowBytes { get; init; }
    public required long WindowStartMs { get; init; }
    public required long WindowEndMs { get; init; }
    public required int Threshold { get; init; }
    public required string ThresholdReason { get; init; }

    /// <summary>Baseline figures: resolvers, per-window means and highs.</summary>
    public required IReadOnlyDictionary<string, string> Baseline { get; init; }

    public static string ProtocolName(EncryptedDnsProtocol protocol) => protocol switch
    {
        EncryptedDnsProtocol.DoT => "DNS-over-TLS",
        EncryptedDnsProtocol.DoQ => "DNS-over-QUIC",
        _ => "DNS-over-HTTPS",
    };

    /// <summary>The (protocol, port) an alert about <paramref name="protocol"/> is filed under; DoH is tcp/443 whatever its transport.</summary>
    public static (FlowProtocol Protocol, int Port) AlertPort(EncryptedDnsProtocol protocol) => protocol switch
    {
        EncryptedDnsProtocol.DoT => (FlowProtocol.Tcp, 853),
        EncryptedDnsProtocol.DoQ => (FlowProtocol.Udp, 853),
        _ => (FlowProtocol.Tcp, 443),
    };
}

/// <summary>
/// Unusual DNS-over-TLS (tcp/853), DNS-over-QUIC (udp/853) and DNS-over-HTTPS (tcp/udp 443 to a known resolver)
/// against the workload's <see cref="WorkloadBaseline"/>. Encrypted-DNS flows count whether established or not:
/// they are usage, not probes. While learning nothing alerts and everything seen becomes the baseline; after it:
/// <list type="bullet">
/// <item>first use of a protocol → medium (high when the resolver is not a known public one);</item>
/// <item>a resolver not in the baseline → low when it is a known public resolver, high otherwise;</item>
/// <item>connections or bytes in a window above max(floor, multiplier × learned high) → high, once per window.</item>
/// </list>
/// One instance per workload, single-threaded like its grain.
/// </summary>
public sealed class EncryptedDnsDetector
{
    /// <summary>
    /// New-resolver findings per protocol per window. A workload spraying thousands of resolvers raises the
    /// first few and the volume alert, not one alert per address.
    /// </summary>
    public const int MaxNewResolverFindingsPerWindow = 10;

    private readonly EncryptedDnsOptions _options;
    private readonly KnownResolvers _known;
    private readonly WorkloadBaseline _baseline;
    private readonly List<EncryptedDnsFinding> _pending = [];

    public EncryptedDnsDetector(EncryptedDnsOptions options, KnownResolvers known, WorkloadBaseline baseline)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(known);
        ArgumentNullException.ThrowIfNull(baseline);
        _options = options;
        _known = known;
        _baseline = baseline;
    }

    /// <summary>Encrypted-DNS flows seen (admitted ones only).</summary>
    public long EncryptedDnsEvents { get; private set; }

    /// <summary>Which encrypted-DNS protocol a flow is, if any.</summary>
    public EncryptedDnsProtocol? Classify(in FlowEvent e, out string? resolverName)
    {
        resolverName = null;
        switch (e.DstPort)
        {
            case 853 when e.Protocol == FlowProtocol.Tcp:
                resolverName = _known.Find(e.Dst);
                return EncryptedDnsProtocol.DoT;
            case 853 when e.Protocol == FlowProtocol.Udp:
                resolverName = _known.Find(e.Dst);
                return EncryptedDnsProtocol.DoQ;
            case 443 when e.Protocol is FlowProtocol.Tcp or FlowProtocol.Udp:
                resolverName = _known.Find(e.Dst);
                return resolverName is null ? null : EncryptedDnsProtocol.DoH;
            default:
                return null;
        }
    }

    /// <summary>Judges one admitted event; call after <see cref="WorkloadBaseline.Advance"/> has moved the baseline's clock to it.</summary>
    public void Observe(in FlowEvent e)
    {
        if (!_options.Enabled || Classify(in e, out var name) is not { } protocol)
        {
            return;
        }

        EncryptedDnsEvents++;
        var learned = _baseline.IsLearned;
        var volume = _baseline.Volume(protocol);
        volume.WindowConnections++;
        volume.WindowBytes += Math.Max(0, e.Bytes);

        ref var resolver = ref _baseline.FindResolver(e.Dst, protocol);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref resolver))
        {
            var firstUse = learned && !_baseline.HasLearnedResolver(protocol);
            if (learned && volume.WindowNewResolvers < MaxNewResolverFindingsPerWindow)
            {
                volume.WindowNewResolvers++;
                _pending.Add(ResolverFinding(in e, protocol, name, firstUse, volume));
            }

            resolver = ref _baseline.AddResolver(e.Dst, protocol, e.TimeMs, learned: !learned);
        }

        if (e.TimeMs > resolver.LastSeenMs) resolver.LastSeenMs = e.TimeMs;
        if (e.TimeMs < resolver.FirstSeenMs) resolver.FirstSeenMs = e.TimeMs;
        resolver.Connections++;
        resolver.Bytes += Math.Max(0, e.Bytes);
        if (learned)
        {
            _baseline.PromoteIfSettled(ref resolver, protocol);
            if (!volume.WindowAlerted)
            {
                JudgeVolume(in e, protocol, name, volume);
            }
        }
    }

    /// <summary>Moves the findings since the last call into <paramref name="findings"/>.</summary>
    public void Collect(List<EncryptedDnsFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(findings);
        findings.AddRange(_pending);
        _pending.Clear();
    }

    /// <summary>The connection threshold for a window: max(floor, multiplier × learned high).</summary>
    public int ConnectionThreshold(EncryptedDnsProtocol protocol) =>
        (int)Math.Min(int.MaxValue, Math.Max(_options.MinConnections, Math.Ceiling(_options.VolumeMultiplier * _baseline.Volume(protocol).Connections.High)));

    public long ByteThreshold(EncryptedDnsProtocol protocol) =>
        (long)Math.Min(long.MaxValue / 2, Math.Max(_options.MinBytes, Math.Ceiling(_options.VolumeMultiplier * _baseline.Volume(protocol).Bytes.High)));

    private void JudgeVolume(in FlowEvent e, EncryptedDnsProtocol protocol, string? name, ProtocolVolume volume)
    {
        var connections = ConnectionThreshold(protocol);
        var bytes = ByteThreshold(protocol);
        var byConnections = volume.WindowConnections > connections;
        if (!byConnections && volume.WindowBytes <= bytes)
        {
            return;
        }

        volume.WindowAlerted = true;
        var estimate = byConnections ? volume.Connections : volume.Bytes;
        var unit = byConnections ? "connections" : "bytes";
        var floor = byConnections ? _options.MinConnections : _options.MinBytes;
        var observed = byConnections ? volume.WindowConnections : volume.WindowBytes;
        _pending.Add(new EncryptedDnsFinding
        {
            Kind = EncryptedDnsFindingKind.Volume,
            Protocol = protocol,
            Severity = Severity.High,
            Resolver = e.Dst,
            ResolverName = name,
            Reason = Invariant($"{observed} {unit} in a {_baseline.WindowText}, baseline high {estimate.High:0.#}"),
            WindowConnections = volume.WindowConnections,
            WindowBytes = volume.WindowBytes,
            WindowStartMs = _baseline.WindowStartMs,
            WindowEndMs = e.TimeMs,
            Threshold = (int)Math.Min(int.MaxValue, byConnections ? connections : bytes),
            ThresholdReason = Invariant($"max(floor {floor}, {_options.VolumeMultiplier:0.##} × learned high {estimate.High:0.#} {unit} per {_baseline.WindowText})"),
            Baseline = BaselineFigures(protocol),
        });
    }

    private EncryptedDnsFinding ResolverFinding(in FlowEvent e, EncryptedDnsProtocol protocol, string? name, bool firstUse, ProtocolVolume volume)
    {
        var flavour = EncryptedDnsFinding.ProtocolName(protocol);
        var known = name is not null;
        var severity = !known ? Severity.High : firstUse ? Severity.Medium : Severity.Low;
        var reason = firstUse ? $"first {flavour} use by this workload" : "resolver not in baseline";
        reason += known ? $", {name}" : ", not a known public resolver";
        var learnedCount = _baseline.Resolvers().Count(r => r.Protocol == protocol && r.Stats.Learned);
        return new EncryptedDnsFinding
        {
            Kind = firstUse ? EncryptedDnsFindingKind.FirstUse : EncryptedDnsFindingKind.NewResolver,
            Protocol = protocol,
            Severity = severity,
            Resolver = e.Dst,
            ResolverName = name,
            Reason = reason,
            WindowConnections = volume.WindowConnections,
            WindowBytes = volume.WindowBytes,
            WindowStartMs = _baseline.WindowStartMs,
            WindowEndMs = e.TimeMs,
            Threshold = 0,
            ThresholdReason = firstUse
                ? $"no {flavour} resolver in this workload's baseline"
                : Invariant($"not among the {learnedCount} {flavour} resolver(s) in this workload's baseline"),
            Baseline = BaselineFigures(protocol),
        };
    }

    private Dictionary<string, string> BaselineFigures(EncryptedDnsProtocol protocol)
    {
        var volume = _baseline.Volume(protocol);
        var resolvers = _baseline.Resolvers().Where(r => r.Protocol == protocol && r.Stats.Learned).Take(5)
            .Select(r => _known.Find(r.Address) is { } n ? $"{r.Address} ({n})" : r.Address.ToString()).ToList();
        return new Dictionary<string, string>
        {
            ["baseline resolvers"] = resolvers.Count == 0 ? "none" : string.Join(", ", resolvers),
            ["baseline connections per window"] = Invariant($"mean {volume.Connections.Mean:0.#}, high {volume.Connections.High:0.#} over {volume.Connections.Windows} windows"),
            ["baseline bytes per window"] = Invariant($"mean {volume.Bytes.Mean:0}, high {volume.Bytes.High:0}"),
            ["learned at"] = _baseline.IsLearned ? DateTimeOffset.FromUnixTimeMilliseconds(_baseline.LearnedAtMs).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "learning",
        };
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

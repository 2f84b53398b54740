using System.Globalization;

namespace OrleansDetect.Detection;

/// <summary>Names and alert ports of the encrypted-DNS protocols.</summary>
public static class EncryptedDnsProtocols
{
    public static string Name(EncryptedDnsProtocol protocol) => protocol switch
    {
        EncryptedDnsProtocol.DoT => "DNS-over-TLS",
        EncryptedDnsProtocol.DoQ => "DNS-over-QUIC",
        _ => "DNS-over-HTTPS",
    };

    /// <summary>"dot", "doq", "doh": how the workloads API spells them.</summary>
    public static string Code(EncryptedDnsProtocol protocol) => protocol switch
    {
        EncryptedDnsProtocol.DoT => "dot",
        EncryptedDnsProtocol.DoQ => "doq",
        _ => "doh",
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
/// against the workload's <see cref="WorkloadBaseline"/>; the detector counts the open baseline window itself and
/// hands the counts to the baseline when the window closes. Encrypted-DNS flows count whether established or not:
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

    private static readonly string[] Mitre = ["T1071.004", "T1573.002", "T1572"];

    private readonly EncryptedDnsOptions _options;
    private readonly KnownResolvers _known;
    private readonly WorkloadBaseline _baseline;
    private readonly AlertSubject _subject;
    private readonly List<Finding> _pending = [];
    private readonly VolumeWindow[] _window = new VolumeWindow[3];

    public EncryptedDnsDetector(EncryptedDnsOptions options, KnownResolvers known, WorkloadBaseline baseline, AlertSubject subject)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(known);
        ArgumentNullException.ThrowIfNull(baseline);
        _options = options;
        _known = known;
        _baseline = baseline;
        _subject = subject;
    }

    /// <summary>Connections of <paramref name="protocol"/> in the open baseline window.</summary>
    public int WindowConnections(EncryptedDnsProtocol protocol) => Window(protocol).Connections;

    public long WindowBytes(EncryptedDnsProtocol protocol) => Window(protocol).Bytes;

    /// <summary>The open baseline window's counts per protocol (DoT, DoQ, DoH), for <see cref="WorkloadBaseline.CloseWindow"/>.</summary>
    public ReadOnlySpan<VolumeWindow> CurrentWindow => _window;

    /// <summary>Starts counting the next baseline window.</summary>
    public void StartWindow() => Array.Clear(_window);

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

        var learned = _baseline.IsLearned;
        ref var volume = ref Window(protocol);
        volume.Connections++;
        volume.Bytes += Math.Max(0, e.Bytes);

        ref var resolver = ref _baseline.FindResolver(e.Dst, protocol);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref resolver))
        {
            var firstUse = learned && !_baseline.HasLearnedResolver(protocol);
            if (learned && volume.NewResolvers < MaxNewResolverFindingsPerWindow)
            {
                volume.NewResolvers++;
                _pending.Add(ResolverFinding(in e, protocol, name, firstUse, in volume));
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
            if (!volume.Alerted)
            {
                JudgeVolume(in e, protocol, name, ref volume);
            }
        }
    }

    /// <summary>Moves the findings since the last call into <paramref name="findings"/>.</summary>
    public void Collect(List<Finding> findings)
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

    private void JudgeVolume(in FlowEvent e, EncryptedDnsProtocol protocol, string? name, ref VolumeWindow volume)
    {
        var connections = ConnectionThreshold(protocol);
        var bytes = ByteThreshold(protocol);
        var byConnections = volume.Connections > connections;
        if (!byConnections && volume.Bytes <= bytes)
        {
            return;
        }

        volume.Alerted = true;
        var learned = _baseline.Volume(protocol);
        var estimate = byConnections ? learned.Connections : learned.Bytes;
        var unit = byConnections ? "connections" : "bytes";
        var floor = byConnections ? _options.MinConnections : _options.MinBytes;
        var observed = byConnections ? volume.Connections : volume.Bytes;
        var reason = Invariant($"{observed} {unit} in a {_baseline.WindowText}, baseline high {estimate.High:0.#}");
        _pending.Add(MakeFinding(in e, protocol, name, volumeKey: true, Severity.High, reason, in volume,
            threshold: (int)Math.Min(int.MaxValue, byConnections ? connections : bytes),
            thresholdReason: Invariant($"max(floor {floor}, {_options.VolumeMultiplier:0.##} × learned high {estimate.High:0.#} {unit} per {_baseline.WindowText})")));
    }

    private Finding ResolverFinding(in FlowEvent e, EncryptedDnsProtocol protocol, string? name, bool firstUse, in VolumeWindow volume)
    {
        var flavour = EncryptedDnsProtocols.Name(protocol);
        var known = name is not null;
        var severity = !known ? Severity.High : firstUse ? Severity.Medium : Severity.Low;
        var reason = firstUse ? $"first {flavour} use by this workload" : "resolver not in baseline";
        reason += known ? $", {name}" : ", not a known public resolver";
        var learnedCount = _baseline.Resolvers().Count(r => r.Protocol == protocol && r.Stats.Learned);
        return MakeFinding(in e, protocol, name, volumeKey: false, severity, reason, in volume, threshold: 0,
            thresholdReason: firstUse
                ? $"no {flavour} resolver in this workload's baseline"
                : Invariant($"not among the {learnedCount} {flavour} resolver(s) in this workload's baseline"));
    }

    /// <summary>
    /// Resolver findings are keyed per resolver (each new resolver is its own alert); volume findings per
    /// protocol under <see cref="Scopes.Volume"/>.
    /// </summary>
    private Finding MakeFinding(in FlowEvent e, EncryptedDnsProtocol protocol, string? name, bool volumeKey, Severity severity, string reason, in VolumeWindow volume, int threshold, string thresholdReason)
    {
        var (alertProtocol, port) = EncryptedDnsProtocols.AlertPort(protocol);
        var resolver = e.Dst.ToString();
        var evidence = BaselineFigures(protocol);
        evidence[EvidenceKeys.Resolver] = name is null ? resolver : $"{resolver} ({name})";
        evidence[EvidenceKeys.Reason] = reason;
        evidence["protocol"] = Invariant($"{EncryptedDnsProtocols.Name(protocol)} ({alertProtocol.Name()}/{port})");
        evidence["connections in window"] = volume.Connections.ToString(CultureInfo.InvariantCulture);
        evidence["bytes in window"] = volume.Bytes.ToString(CultureInfo.InvariantCulture);
        return new Finding
        {
            Key = new AlertKey
            {
                Subject = _subject,
                Type = DetectionTypes.UnusualEncryptedDns,
                Protocol = alertProtocol,
                Port = port,
                Target = volumeKey ? null : e.Dst,
                Scope = volumeKey ? Scopes.Volume : null,
            },
            Severity = severity,
            DistinctTargets = 1,
            SampleTargets = [resolver],
            WindowStartMs = _baseline.WindowStartMs,
            WindowEndMs = e.TimeMs,
            Threshold = threshold,
            ThresholdReason = thresholdReason,
            Mitre = Mitre,
            Evidence = evidence,
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

    private ref VolumeWindow Window(EncryptedDnsProtocol protocol) => ref _window[(int)protocol - 1];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

using System.Globalization;

namespace OrleansDetect.Detection;

/// <summary>
/// Sweep followed by scan, on one workload's clock: remembers which hosts answered (established or rejected) on ports
/// the workload probed with failures, and when a port scan of one of them follows a sweep of that port, raises one
/// high <c>recon-chain</c> finding per swept port that links the sweep's and the scans' alert keys and names the
/// shortlisted hosts and the ports found. Single-threaded, bounded by <see cref="ReconChainOptions"/>.
/// </summary>
public sealed class ReconChainDetector
{
    private static readonly string[] Mitre = ["T1046", "T1595"];
    private const int PortsFoundLimit = 50;
    private const int HostsLimit = 50;

    private readonly ReconChainOptions _options;
    private readonly AlertSubject _subject;
    private readonly long _followUpMs;
    private readonly Dictionary<ProbedPort, Responders> _responders = [];
    private readonly Dictionary<ProbedPort, Chain> _chains = [];
    private readonly List<Finding> _scans = [];

    // Hosts that answered a swept port: their answers on any port are remembered, so a chain names the open ports found.
    private readonly HashSet<NetAddress> _shortlist = [];

    // One bit per (port mod 64) of the ports in _responders: most flows go to ports nobody probed, and a clear bit
    // answers them without a dictionary lookup. Set on adding a port, rebuilt when ports are forgotten.
    private ulong _respondersMask;

    // No chain or responder list can be forgotten before the watermark passes this (a lower bound): a batch spread over
    // thousands of workloads visits each with an event or two, and most visits forget nothing.
    private long _nothingToForgetUntilMs = long.MaxValue;

    public ReconChainDetector(ReconChainOptions options, AlertSubject subject)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _subject = subject;
        _followUpMs = (long)options.FollowUpWindow.TotalMilliseconds;
    }

    /// <summary>Ports whose responders are remembered (at most <see cref="ReconChainOptions.MaxTrackedPorts"/>).</summary>
    public int TrackedPorts => _responders.Count;

    /// <summary>
    /// A failed probe opens (or refreshes) its port's responder list, as does a handshake with a host that answered a
    /// swept port; an answer on such a port is remembered.
    /// </summary>
    public void Observe(in FlowEvent e)
    {
        if (!_options.Enabled || e.Protocol == FlowProtocol.Icmp) return;
        var port = new ProbedPort(e.Protocol, e.DstPort);
        Responders? responders = null;
        if ((_respondersMask & MaskBit(e.DstPort)) != 0 && _responders.TryGetValue(port, out responders))
        {
            if (e.IsFailed) responders.LastProbeMs = Math.Max(responders.LastProbeMs, e.TimeMs);
        }
        else
        {
            if (!e.IsFailed && (_shortlist.Count == 0 || e.State != FlowState.Established || !_shortlist.Contains(e.Dst))) return;
            if (_responders.Count >= _options.MaxTrackedPorts) ForgetIdlestPort();
            responders = new Responders { LastProbeMs = e.TimeMs };
            _responders.Add(port, responders);
            _nothingToForgetUntilMs = Math.Min(_nothingToForgetUntilMs, e.TimeMs + _followUpMs);
            _respondersMask |= MaskBit(e.DstPort);
        }

        if (e.State is FlowState.Established or FlowState.Rejected)
        {
            // Established (open) outranks rejected (closed): the host exists either way.
            if (responders.Hosts.TryGetValue(e.Dst, out var known)) { if (e.State > known) responders.Hosts[e.Dst] = e.State; }
            else if (responders.Hosts.Count < _options.MaxRespondersPerPort) responders.Hosts.Add(e.Dst, e.State);
        }
    }

    /// <summary>
    /// Reads this round's sweep and scan findings from <paramref name="found"/> and appends a chain finding for every
    /// swept port whose responders were scanned and whose chain gained a host or a port.
    /// </summary>
    public void Collect(List<Finding> found, long watermarkMs, bool duringLearning)
    {
        if (!_options.Enabled) return;
        _scans.Clear();
        foreach (var finding in found)
        {
            if (finding.Type is DetectionTypes.PortSweep or DetectionTypes.SlowPortSweep && finding.Key.Port is { } swept)
            {
                var port = new ProbedPort(finding.Key.Protocol, (ushort)swept);
                if (!_chains.TryGetValue(port, out var chain) || watermarkMs - chain.SweptAtMs > _followUpMs)
                {
                    if (chain is null && _chains.Count >= _options.MaxTrackedPorts) continue;
                    _chains[port] = new Chain(finding.Key, finding.WindowStartMs, watermarkMs);
                    _nothingToForgetUntilMs = Math.Min(_nothingToForgetUntilMs, watermarkMs + _followUpMs);
                }
                else
                {
                    chain.SweptAtMs = watermarkMs;
                }
            }
            else if (finding.Type is DetectionTypes.PortScan or DetectionTypes.SlowPortScan && finding.Key.Target is not null)
            {
                _scans.Add(finding);
            }
        }

        ForgetOldChains(watermarkMs);
        RebuildShortlist();
        if (_scans.Count == 0 || _chains.Count == 0) return;
        foreach (var (port, chain) in _chains)
        {
            if (!_responders.TryGetValue(port, out var responders)) continue;
            var grew = false;
            foreach (var scan in _scans)
            {
                var host = scan.Key.Target!.Value;
                if (scan.Key.Protocol != port.Protocol || !responders.Hosts.ContainsKey(host)) continue;
                grew |= chain.Add(host, scan);
            }

            if (grew) found.Add(Describe(port, chain, responders, watermarkMs, duringLearning));
        }
    }

    private Finding Describe(ProbedPort port, Chain chain, Responders responders, long watermarkMs, bool duringLearning) => new()
    {
        Key = new AlertKey
        {
            Subject = _subject,
            Type = DetectionTypes.ReconChain,
            Protocol = port.Protocol,
            Port = port.Port,
            Scope = chain.Sweep.Scope,
        },
        Severity = Severity.High,
        DistinctTargets = chain.Hosts.Count,
        SampleTargets = [.. chain.Hosts.Select(static h => h.ToString())],
        FailedAttempts = chain.ScanAttempts.Values.Sum(),
        WindowStartMs = chain.StartMs,
        WindowEndMs = watermarkMs,
        Threshold = 1,
        ThresholdReason = string.Create(CultureInfo.InvariantCulture,
            $"a port scan of a host that answered the sweep, within {_options.FollowUpWindow.TotalMinutes:0} min of it"),
        Mitre = Mitre,
        DuringLearning = duringLearning,
        Related = [chain.Sweep, .. chain.Scans.Values],
        Evidence = new Dictionary<string, string>
        {
            [ReconEvidence.Sweep] = chain.Sweep.Fingerprint,
            [ReconEvidence.Scans] = string.Join("; ", chain.Scans.Values.Select(static k => k.Fingerprint)),
            [ReconEvidence.PortsProbed] = string.Join(", ", chain.Ports),
            [ReconEvidence.OpenPorts] = OpenPorts(chain.Hosts),
            [ReconEvidence.AnsweredSweep] = responders.Hosts.Count.ToString(CultureInfo.InvariantCulture),
        },
    };

    /// <summary>"10.0.0.5: tcp/22, tcp/445": the remembered ports on which the scanned hosts completed a handshake.</summary>
    private string OpenPorts(List<NetAddress> hosts)
    {
        var lines = new List<string>();
        foreach (var host in hosts)
        {
            var open = _responders.Where(r => r.Value.Hosts.GetValueOrDefault(host) == FlowState.Established)
                .Select(static r => r.Key).OrderBy(static p => p.Port)
                .Select(static p => string.Create(CultureInfo.InvariantCulture, $"{p.Protocol.Name()}/{p.Port}")).Take(PortsFoundLimit).ToList();
            if (open.Count > 0) lines.Add($"{host}: {string.Join(", ", open)}");
        }

        return lines.Count == 0 ? "none seen" : string.Join("; ", lines);
    }

    private void ForgetOldChains(long watermarkMs)
    {
        if (watermarkMs <= _nothingToForgetUntilMs) return;
        var next = long.MaxValue;
        foreach (var (port, chain) in _chains)
        {
            if (watermarkMs - chain.SweptAtMs > _followUpMs) _chains.Remove(port);
            else next = Math.Min(next, chain.SweptAtMs + _followUpMs);
        }

        var forgot = false;
        foreach (var (port, responders) in _responders)
        {
            // A port with a chain is kept as long as its chain, whose time is counted above.
            if (_chains.ContainsKey(port)) continue;
            if (watermarkMs - responders.LastProbeMs > _followUpMs) forgot |= _responders.Remove(port);
            else next = Math.Min(next, responders.LastProbeMs + _followUpMs);
        }

        _nothingToForgetUntilMs = next;
        if (forgot) RebuildRespondersMask();
    }

    private static ulong MaskBit(int port) => 1UL << (port & 63);

    private void RebuildRespondersMask()
    {
        _respondersMask = 0;
        foreach (var port in _responders.Keys) _respondersMask |= MaskBit(port.Port);
    }

    private void RebuildShortlist()
    {
        if (_chains.Count == 0 && _shortlist.Count == 0) return;
        _shortlist.Clear();
        foreach (var port in _chains.Keys)
        {
            if (_responders.TryGetValue(port, out var responders)) _shortlist.UnionWith(responders.Hosts.Keys);
        }
    }

    private void ForgetIdlestPort()
    {
        var idlest = default(ProbedPort);
        var idlestMs = long.MaxValue;
        foreach (var (port, responders) in _responders)
        {
            if (responders.LastProbeMs < idlestMs && !_chains.ContainsKey(port))
            {
                idlest = port;
                idlestMs = responders.LastProbeMs;
            }
        }

        if (idlestMs != long.MaxValue && _responders.Remove(idlest)) RebuildRespondersMask();
    }

    /// <summary>(protocol, port) packed into one int: looked up for every flow, so cheap to hash and compare.</summary>
    private readonly struct ProbedPort(FlowProtocol protocol, ushort port) : IEquatable<ProbedPort>
    {
        private readonly int _packed = ((int)protocol << 16) | port;

        public FlowProtocol Protocol => (FlowProtocol)(_packed >> 16);

        public ushort Port => (ushort)_packed;

        public bool Equals(ProbedPort other) => _packed == other._packed;

        public override bool Equals(object? obj) => obj is ProbedPort other && Equals(other);

        public override int GetHashCode() => _packed;
    }

    private sealed class Responders
    {
        public Dictionary<NetAddress, FlowState> Hosts { get; } = [];
        public long LastProbeMs;
    }

    /// <summary>One swept port's follow-up: the sweep's key and what scans of its responders found.</summary>
    private sealed class Chain(AlertKey sweep, long startMs, long sweptAtMs)
    {
        public AlertKey Sweep { get; } = sweep;
        public long StartMs { get; } = startMs;
        public long SweptAtMs { get; set; } = sweptAtMs;
        public List<NetAddress> Hosts { get; } = [];
        public Dictionary<NetAddress, AlertKey> Scans { get; } = [];
        public Dictionary<NetAddress, int> ScanAttempts { get; } = [];
        public SortedSet<int> Ports { get; } = [];

        /// <summary>True when the scan named a new host or a new port.</summary>
        public bool Add(NetAddress host, Finding scan)
        {
            var grew = false;
            if (!Scans.ContainsKey(host) && Hosts.Count < HostsLimit)
            {
                Hosts.Add(host);
                Scans[host] = scan.Key;
                grew = true;
            }

            if (!Scans.ContainsKey(host)) return grew;
            ScanAttempts[host] = Math.Max(ScanAttempts.GetValueOrDefault(host), scan.FailedAttempts);
            foreach (var sample in scan.SampleTargets)
            {
                if (Ports.Count < PortsFoundLimit && int.TryParse(sample, NumberStyles.None, CultureInfo.InvariantCulture, out var p)) grew |= Ports.Add(p);
            }

            return grew;
        }
    }
}

/// <summary>Evidence names of recon-chain findings.</summary>
public static class ReconEvidence
{
    public const string Sweep = "sweep alert";
    public const string Scans = "scan alerts";
    public const string PortsProbed = "ports probed";
    public const string OpenPorts = "open ports found";
    public const string AnsweredSweep = "hosts that answered the sweep";
}

namespace OrleansDetect.Client.Demo;

/// <summary>An alert the demo scenario is built to raise.</summary>
/// <remarks>
/// <see cref="Workload"/> is the alert's subject as the API lists it: a workload, or for a fleet alert its group
/// ("tcp/7123"). <see cref="ListedWorkloads"/>, when set, must all be among the alert's sample targets (a fleet alert
/// lists the workloads that swept).
/// </remarks>
internal sealed record ExpectedAlert(string Workload, string Type, int Port, string Scope, Severity Severity, int DistinctTargets, IReadOnlyList<string>? ListedWorkloads = null)
{
    /// <summary>"medium port-sweep tcp/445 (internal) from build-agent-1", as the demo prints it.</summary>
    public string Describe()
    {
        var port = Port == 0 ? "tcp" : $"tcp/{Port}";
        var scope = Scope.Length == 0 ? "" : $" ({Scope})";
        var from = ListedWorkloads is { } listed ? $"by {string.Join(", ", listed)}" : $"from {Workload}";
        return $"{Severity.Name()} {Type} {port}{scope} {from}";
    }
}

/// <summary>
/// A few minutes of realistic traffic from a handful of workloads, ending at "now" (event time), with exactly the
/// ten alerts of <see cref="ExpectedAlerts"/> in it and noise that stays below every threshold:
/// <list type="bullet">
/// <item>web-1 probes tcp/22 on 200 public addresses within two minutes (public sweep, ≥ 100 → high);</item>
/// <item>build-agent-1 probes tcp/445 on 40 internal addresses (lateral-movement port, ≥ 25 → medium);</item>
/// <item>below threshold: web-2 fails to 20 public addresses on tcp/23 (public needs 25), db-1 to 20 internal on
/// tcp/3389 (lateral needs 25), monitor-1 to 60 internal on tcp/8080 (internal needs 100), cache-1 on 10 ports of
/// one host (a scan needs 15), and a few refused connections;</item>
/// <item>monitor-1's health checks reach 60 hosts on tcp/9100, but they complete, so they are not probes.</item>
/// <item>recon chain: jump-1 sweeps tcp/3389 on 30 internal addresses (lateral-movement port, ≥ 25 → medium), some
/// of which refuse (the host exists), then port-scans one of those on 20 ports (≥ 15 → medium): the sweep, the scan
/// and one high recon-chain alert linking them;</item>
/// <item>fleet: worker-1, worker-2 and worker-3 (one compromised image) each sweep the run's fleet port
/// (<see cref="FleetPort"/>) on 30 public addresses within the same minutes: three public sweeps (≥ 25 → medium) and
/// one medium fleet-sweep alert whose subject is the port and which lists the three workloads;</item>
/// <item>batch-1 and stub-1 also send 25 hours of history first, so their baselines are learned (24 h by default)
/// before "now": stub-1 uses DNS-over-TLS to Cloudflare throughout and keeps doing so (no alert); batch-1 never used
/// encrypted DNS and starts DNS-over-TLS to an unknown resolver (first use, not a known public resolver → high).</item>
/// </list>
/// Events are in event-time order, so each workload's history arrives before its present.
/// Addresses outside the workloads' own 10.x networks come from documentation and benchmarking ranges:
/// they are only data in events.
/// </summary>
internal sealed class DemoScenario
{
    public const string PublicSweeper = "web-1";
    public const string InternalSweeper = "build-agent-1";
    public const ushort PublicSweepPort = 22;
    public const ushort InternalSweepPort = 445;
    public const int PublicSweepTargets = 200;
    public const int InternalSweepTargets = 40;
    public const string DotNewResolverWorkload = "batch-1";
    public const string DotKnownResolverWorkload = "stub-1";

    public const string ChainScanner = "jump-1";
    public const ushort ChainSweepPort = 3389;
    public const int ChainSweepTargets = 30;
    public const int ChainScanPorts = 20;
    public static readonly IReadOnlyList<string> FleetSweepers = ["worker-1", "worker-2", "worker-3"];
    public const int FleetSweepTargets = 30;

    /// <summary>Fleet ports are <see cref="FleetPortBase"/> + (a hash of the run prefix mod <see cref="FleetPortCount"/>).</summary>
    public const int FleetPortBase = 7000;
    public const int FleetPortCount = 1000;

    /// <summary>A resolver batch-1 has never used and that is not a well-known public one (documentation range).</summary>
    public static readonly NetAddress UnknownDotResolver = NetAddress.FromV4(198, 51, 100, 53);

    /// <summary>History sent before the scenario's present for the two encrypted-DNS workloads: more than the 24 h learning period.</summary>
    public static readonly TimeSpan LearningHistory = TimeSpan.FromHours(25);

    /// <summary>The scenario covers this much event time before "now".</summary>
    public static readonly TimeSpan Span = TimeSpan.FromMinutes(4);

    private static readonly (string Name, NetAddress Address)[] WorkloadAddresses =
    [
        ("web-1", NetAddress.FromV4(10, 0, 1, 11)),
        ("web-2", NetAddress.FromV4(10, 0, 1, 12)),
        ("db-1", NetAddress.FromV4(10, 0, 2, 10)),
        ("cache-1", NetAddress.FromV4(10, 0, 4, 7)),
        (InternalSweeper, NetAddress.FromV4(10, 0, 7, 21)),
        ("monitor-1", NetAddress.FromV4(10, 0, 9, 5)),
        (DotNewResolverWorkload, NetAddress.FromV4(10, 0, 3, 15)),
        (DotKnownResolverWorkload, NetAddress.FromV4(10, 0, 3, 16)),
        (ChainScanner, NetAddress.FromV4(10, 0, 8, 30)),
        ("worker-1", NetAddress.FromV4(10, 0, 13, 11)),
        ("worker-2", NetAddress.FromV4(10, 0, 13, 12)),
        ("worker-3", NetAddress.FromV4(10, 0, 13, 13)),
    ];

    /// <summary>Ports jump-1 tries on the host it scans (3389, the swept port, is not among them).</summary>
    private static readonly ushort[] ScanPorts = [21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1433, 1521, 3306, 5432, 5900, 5985, 6379, 8080, 9200];

    private static readonly NetAddress[] Cloudflare = [NetAddress.FromV4(1, 1, 1, 1), NetAddress.FromV4(1, 0, 0, 1)];

    private static readonly NetAddress[] Resolvers = [NetAddress.FromV4(10, 0, 0, 2), NetAddress.FromV4(10, 0, 0, 3)];
    private static readonly (NetAddress Address, ushort Port) Postgres = (NetAddress.FromV4(10, 0, 2, 10), 5432);
    private static readonly (NetAddress Address, ushort Port) Redis = (NetAddress.FromV4(10, 0, 4, 7), 6379);
    private static readonly (NetAddress Address, ushort Port) InternalApi = (NetAddress.FromV4(10, 0, 5, 5), 8443);
    private static readonly (NetAddress Address, ushort Port) Queue = (NetAddress.FromV4(10, 0, 6, 8), 5672);
    private static readonly (NetAddress Address, ushort Port) PaymentsApi = (NetAddress.FromV4(192, 0, 2, 10), 443);
    private static readonly (NetAddress Address, ushort Port) MapsApi = (NetAddress.FromV4(192, 0, 2, 20), 443);
    private static readonly (NetAddress Address, ushort Port) PackageRegistry = (NetAddress.FromV4(192, 0, 2, 44), 443);
    private static readonly (NetAddress Address, ushort Port) ObjectStore = (NetAddress.FromV4(198, 18, 0, 5), 443);

    private readonly Random _random;
    private readonly int _seed;
    private readonly long _startMs;
    private readonly long _endMs;
    private readonly List<FlowLine> _events = [];
    private ushort _nextSourcePort = 40000;

    private DemoScenario(DateTimeOffset now, string prefix, int seed)
    {
        Prefix = prefix;
        Now = now;
        _random = new Random(seed);
        _seed = seed;
        _endMs = now.ToUnixTimeMilliseconds();
        _startMs = _endMs - (long)Span.TotalMilliseconds;
        Workloads = [.. WorkloadAddresses.Select(w => prefix + w.Name)];
        FleetPort = FleetPortFor(prefix);
        FleetGroup = $"tcp/{FleetPort}";
        ChainTarget = PickChainTarget();
        ExpectedAlerts =
        [
            new(prefix + PublicSweeper, DetectionTypes.PortSweep, PublicSweepPort, Scopes.Public, Severity.High, PublicSweepTargets),
            new(prefix + InternalSweeper, DetectionTypes.PortSweep, InternalSweepPort, Scopes.Internal, Severity.Medium, InternalSweepTargets),
            new(prefix + DotNewResolverWorkload, DetectionTypes.UnusualEncryptedDns, 853, UnknownDotResolver.ToString(), Severity.High, 1),
            new(prefix + ChainScanner, DetectionTypes.PortSweep, ChainSweepPort, Scopes.Internal, Severity.Medium, ChainSweepTargets),
            // The scan counts 3389 too: the chain target refused the sweep's probe as well.
            new(prefix + ChainScanner, DetectionTypes.PortScan, 0, ChainTarget.ToString(), Severity.Medium, ChainScanPorts + 1),
            new(prefix + ChainScanner, DetectionTypes.ReconChain, ChainSweepPort, Scopes.Internal, Severity.High, 1),
            .. FleetSweepers.Select(w => new ExpectedAlert(prefix + w, DetectionTypes.PortSweep, FleetPort, Scopes.Public, Severity.Medium, FleetSweepTargets)),
            new(FleetGroup, DetectionTypes.FleetSweep, FleetPort, "", Severity.Medium, FleetSweepers.Count, [.. FleetSweepers.Select(w => prefix + w)]),
        ];
    }

    /// <summary>The run's fleet port: a fleet alert's subject is the port, shared by everything that sweeps it.</summary>
    /// <remarks>
    /// Why a per-run port: a fleet window holds every workload that swept its port in the last 10 minutes, whoever
    /// sent it. With one fixed port, a second run within the window would add its three workers to the first run's
    /// alert (an update to 6 workloads, not a new alert of 3), so runs would add up. Deriving the port from the run
    /// prefix (stable FNV-1a, not string.GetHashCode, which changes per process) gives each run its own fleet alert;
    /// two runs that land on the same port anyway (1 in <see cref="FleetPortCount"/>) still each find the alert,
    /// because the demo matches it by the workloads it lists, not by its workload count. The range 7000–7999 holds
    /// no port the rest of the scenario uses and no lateral-movement port.
    /// </remarks>
    public static int FleetPortFor(string prefix)
    {
        var hash = 2166136261u;
        foreach (var c in prefix) hash = (hash ^ c) * 16777619u;
        return FleetPortBase + (int)(hash % FleetPortCount);
    }

    public string Prefix { get; }

    public DateTimeOffset Now { get; }

    /// <summary>Workload names, with the prefix.</summary>
    public IReadOnlyList<string> Workloads { get; }

    /// <summary>All events, in event-time order (the order a flow log would have them).</summary>
    public IReadOnlyList<FlowLine> Events => _events;

    public IReadOnlyList<ExpectedAlert> ExpectedAlerts { get; }

    /// <summary>The port the fleet workloads sweep in this run.</summary>
    public int FleetPort { get; }

    /// <summary>The fleet alert's subject, as the API lists it in <c>workload</c>: "tcp/7123".</summary>
    public string FleetGroup { get; }

    /// <summary>The host jump-1 scans: it refused jump-1's sweep, so it exists.</summary>
    public NetAddress ChainTarget { get; }

    /// <summary>What the demo reads alerts for: every workload and the fleet group.</summary>
    public IReadOnlyList<string> AlertSubjects => [.. Workloads, FleetGroup];

    /// <summary>
    /// A prefix no earlier run used (six random hex digits), the demo's default: a second run against the same silo
    /// would otherwise add its noise to the first run's windows of the same workloads (web-2's 20 failed tcp/23
    /// targets become 40, over the threshold of 25) and raise alerts the demo does not promise.
    /// </summary>
    public static string NewRunPrefix() => $"{Random.Shared.Next(1 << 24):x6}-";

    /// <summary>Builds the scenario ending at <paramref name="now"/>; the same seed gives the same events.</summary>
    public static DemoScenario Create(DateTimeOffset now, string prefix = "", int seed = 1)
    {
        var scenario = new DemoScenario(now, prefix, seed);
        scenario.AddNormalTraffic();
        scenario.AddHealthChecks();
        scenario.AddPublicSweep();
        scenario.AddInternalSweep();
        scenario.AddNoise();
        scenario.AddReconChain();
        scenario.AddFleetSweep();
        scenario.AddLearningHistory();
        scenario.AddEncryptedDns();
        scenario._events.Sort((a, b) => a.TimeMs.CompareTo(b.TimeMs));
        return scenario;
    }

    private void AddNormalTraffic()
    {
        var services = new Dictionary<string, (NetAddress, ushort)[]>
        {
            ["web-1"] = [Postgres, Redis, InternalApi, PaymentsApi, MapsApi],
            ["web-2"] = [Postgres, Redis, InternalApi, PaymentsApi, MapsApi],
            ["db-1"] = [ObjectStore, Queue],
            ["cache-1"] = [Queue],
            [InternalSweeper] = [PackageRegistry, ObjectStore, InternalApi],
            ["monitor-1"] = [InternalApi, Queue],
            [DotNewResolverWorkload] = [ObjectStore, Queue, InternalApi],
            [DotKnownResolverWorkload] = [InternalApi, PaymentsApi],
            [ChainScanner] = [InternalApi, PackageRegistry],
            ["worker-1"] = [Queue, ObjectStore, InternalApi],
            ["worker-2"] = [Queue, ObjectStore, InternalApi],
            ["worker-3"] = [Queue, ObjectStore, InternalApi],
        };

        foreach (var (name, _) in WorkloadAddresses)
        {
            // A connection every ~2 s and a DNS lookup every ~4 s, spread over the whole span.
            for (var t = _startMs + _random.Next(2000); t < _endMs; t += 500 + _random.Next(3000))
            {
                var (address, port) = services[name][_random.Next(services[name].Length)];
                Add(name, t, address, port, FlowProtocol.Tcp, FlowState.Established);
            }

            for (var t = _startMs + _random.Next(4000); t < _endMs; t += 1000 + _random.Next(6000))
            {
                Add(name, t, Resolvers[_random.Next(Resolvers.Length)], 53, FlowProtocol.Udp, FlowState.Established);
            }
        }
    }

    /// <summary>monitor-1 scrapes 60 node exporters every 15 s: wide fan-out on one port, but every connection completes.</summary>
    private void AddHealthChecks()
    {
        for (var round = _startMs + _random.Next(15_000); round < _endMs; round += 15_000)
        {
            for (var host = 1; host <= 60; host++)
            {
                var t = Math.Min(round + _random.Next(1000), _endMs - 1);
                Add("monitor-1", t, NetAddress.FromV4(10, 0, 10, (byte)host), 9100, FlowProtocol.Tcp, FlowState.Established);
            }
        }
    }

    /// <summary>200 public addresses on tcp/22 within two minutes; some get a SYN retransmission.</summary>
    private void AddPublicSweep()
    {
        var targets = new List<NetAddress>();
        for (byte host = 1; host <= 254; host++)
        {
            targets.Add(NetAddress.FromV4(198, 51, 100, host));
            targets.Add(NetAddress.FromV4(203, 0, 113, host));
        }

        var start = _endMs - 170_000 + _random.Next(20_000);
        foreach (var target in Pick(targets, PublicSweepTargets))
        {
            var t = start + _random.Next(120_000);
            Add(PublicSweeper, t, target, PublicSweepPort, FlowProtocol.Tcp, FlowState.Attempted);
            if (_random.Next(5) == 0) Add(PublicSweeper, t + 1000, target, PublicSweepPort, FlowProtocol.Tcp, FlowState.Attempted);
        }
    }

    /// <summary>40 internal addresses on tcp/445 within about three minutes; hosts with SMB closed refuse.</summary>
    private void AddInternalSweep()
    {
        var targets = new List<NetAddress>();
        for (var x = 0; x < 4; x++)
        {
            for (var y = 1; y <= 254; y++) targets.Add(NetAddress.FromV4(10, 20, (byte)x, (byte)y));
        }

        var start = _endMs - 200_000 + _random.Next(10_000);
        foreach (var target in Pick(targets, InternalSweepTargets))
        {
            var state = _random.Next(3) == 0 ? FlowState.Rejected : FlowState.Attempted;
            Add(InternalSweeper, start + _random.Next(170_000), target, InternalSweepPort, FlowProtocol.Tcp, state);
        }
    }

    /// <summary>The 30 internal hosts jump-1 sweeps; the first one (refusing) is the one it then scans.</summary>
    private List<NetAddress> ChainSweepTargetsList { get; set; } = [];

    private NetAddress PickChainTarget()
    {
        // Drawn from its own generator so that adding the chain leaves the other parts' random draws alone.
        var random = new Random(_seed ^ 0x3389);
        var candidates = Range(1, 254).Select(h => NetAddress.FromV4(10, 30, 0, (byte)h)).ToArray();
        random.Shuffle(candidates);
        ChainSweepTargetsList = [.. candidates.Take(ChainSweepTargets)];
        return ChainSweepTargetsList[0];
    }

    /// <summary>
    /// jump-1 sweeps tcp/3389 on 30 internal hosts within 90 s (the chain target and about a third of the others
    /// refuse: they exist), then, a minute later, tries 20 ports of the chain target, which refuses all of them, and
    /// completes handshakes on two more (open ports found).
    /// </summary>
    private void AddReconChain()
    {
        var sweepStart = _endMs - 230_000 + _random.Next(5_000);
        for (var i = 0; i < ChainSweepTargetsList.Count; i++)
        {
            var state = i == 0 || _random.Next(3) == 0 ? FlowState.Rejected : FlowState.Attempted;
            var t = i == 0 ? sweepStart : sweepStart + _random.Next(90_000);
            Add(ChainScanner, t, ChainSweepTargetsList[i], ChainSweepPort, FlowProtocol.Tcp, state);
        }

        var ports = Pick(ScanPorts.ToList(), ChainScanPorts + 2);
        var scanStart = _endMs - 120_000 + _random.Next(5_000);
        for (var i = 0; i < ports.Count; i++)
        {
            var state = i < ChainScanPorts ? FlowState.Rejected : FlowState.Established;
            Add(ChainScanner, scanStart + _random.Next(60_000), ChainTarget, ports[i], FlowProtocol.Tcp, state);
        }
    }

    /// <summary>worker-1..3 each probe the fleet port on 30 public addresses within the same two minutes.</summary>
    private void AddFleetSweep()
    {
        var targets = new List<NetAddress>();
        for (byte host = 1; host <= 254; host++) targets.Add(NetAddress.FromV4(198, 18, 1, host));
        var start = _endMs - 180_000 + _random.Next(20_000);
        foreach (var worker in FleetSweepers)
        {
            foreach (var target in Pick(targets, FleetSweepTargets))
            {
                Add(worker, start + _random.Next(120_000), target, (ushort)FleetPort, FlowProtocol.Tcp, FlowState.Attempted);
            }
        }
    }

    private void AddNoise()
    {
        // web-2: a misconfigured legacy client trying telnet on 20 public addresses (public sweeps start at 25).
        FailToMany("web-2", count: 20, 23, Range(1, 254).Select(h => NetAddress.FromV4(203, 0, 113, (byte)h)));

        // db-1: an admin script trying RDP on 20 internal hosts (lateral-movement ports start at 25).
        FailToMany("db-1", count: 20, 3389, Range(1, 254).Select(h => NetAddress.FromV4(10, 0, 12, (byte)h)));

        // monitor-1: HTTP checks on 60 internal hosts where the service is down (other internal ports start at 100).
        FailToMany("monitor-1", count: 60, 8080, Range(1, 254).Select(h => NetAddress.FromV4(10, 0, 11, (byte)h)));

        // cache-1: a client library walking 10 ports of one host (a port scan starts at 15 ports).
        foreach (var port in Pick(Range(8000, 8099).ToList(), 10))
        {
            Add("cache-1", RandomTime(), InternalApi.Address, (ushort)port, FlowProtocol.Tcp, FlowState.Rejected);
        }

        // Refused connections here and there: a restarting database, a busy queue, a registry hiccup.
        for (var i = 0; i < 3; i++) Add("web-2", RandomTime(), Postgres.Address, Postgres.Port, FlowProtocol.Tcp, FlowState.Rejected);
        for (var i = 0; i < 2; i++) Add("db-1", RandomTime(), Queue.Address, Queue.Port, FlowProtocol.Tcp, FlowState.Rejected);
        Add(InternalSweeper, RandomTime(), PackageRegistry.Address, PackageRegistry.Port, FlowProtocol.Tcp, FlowState.Rejected);
        Add("web-1", RandomTime(), Redis.Address, Redis.Port, FlowProtocol.Tcp, FlowState.Rejected);
    }

    /// <summary>
    /// 25 hours before the present: a connection and a DNS lookup every few minutes from batch-1 (plain DNS only)
    /// and stub-1 (DNS-over-TLS to Cloudflare), enough windows for both baselines to finish learning.
    /// </summary>
    private void AddLearningHistory()
    {
        var historyStartMs = _endMs - (long)LearningHistory.TotalMilliseconds;
        for (var t = historyStartMs + _random.Next(60_000); t < _startMs; t += 120_000 + _random.Next(240_000))
        {
            Add(DotNewResolverWorkload, t, ObjectStore.Address, ObjectStore.Port, FlowProtocol.Tcp, FlowState.Established);
            Add(DotNewResolverWorkload, t + 500, Resolvers[_random.Next(Resolvers.Length)], 53, FlowProtocol.Udp, FlowState.Established);
            Add(DotKnownResolverWorkload, t + 200, InternalApi.Address, InternalApi.Port, FlowProtocol.Tcp, FlowState.Established);
            Add(DotKnownResolverWorkload, t + 700, Cloudflare[_random.Next(Cloudflare.Length)], 853, FlowProtocol.Tcp, FlowState.Established);
        }
    }

    /// <summary>In the present: stub-1 keeps its usual DoT to Cloudflare; batch-1 starts DoT to a resolver nobody knows.</summary>
    private void AddEncryptedDns()
    {
        for (var t = _startMs + _random.Next(30_000); t < _endMs; t += 30_000 + _random.Next(30_000))
        {
            Add(DotKnownResolverWorkload, t, Cloudflare[_random.Next(Cloudflare.Length)], 853, FlowProtocol.Tcp, FlowState.Established);
        }

        for (var t = _endMs - 150_000 + _random.Next(10_000); t < _endMs; t += 15_000 + _random.Next(15_000))
        {
            Add(DotNewResolverWorkload, t, UnknownDotResolver, 853, FlowProtocol.Tcp, FlowState.Established);
        }
    }

    private void FailToMany(string workload, int count, ushort port, IEnumerable<NetAddress> candidates)
    {
        foreach (var target in Pick(candidates.ToList(), count))
        {
            var state = _random.Next(4) == 0 ? FlowState.Rejected : FlowState.Attempted;
            Add(workload, RandomTime(), target, port, FlowProtocol.Tcp, state);
        }
    }

    private void Add(string workload, long timeMs, NetAddress dst, ushort port, FlowProtocol protocol, FlowState state)
    {
        var src = WorkloadAddresses.First(w => w.Name == workload).Address;
        var (bytes, packets) = state switch
        {
            FlowState.Established => ((long)_random.Next(400, 250_000), (long)_random.Next(4, 200)),
            FlowState.Rejected => (100L, 2L),
            _ => (60L * (1 + _random.Next(2)), 1L),
        };
        if (protocol == FlowProtocol.Udp) (bytes, packets) = (_random.Next(70, 400), 2);
        if (port == 853) (bytes, packets) = (_random.Next(1_500, 8_000), _random.Next(8, 30)); // DoT: a handshake and a few queries
        _events.Add(new FlowLine(timeMs, Prefix + workload, src, NextSourcePort(), dst, port, protocol, state, bytes, packets));
    }

    private ushort NextSourcePort()
    {
        // Ephemeral ports, wrapping inside the Linux default range.
        _nextSourcePort = (ushort)(_nextSourcePort >= 60999 ? 32768 : _nextSourcePort + 1 + _random.Next(7));
        return _nextSourcePort;
    }

    private long RandomTime() => _startMs + _random.NextInt64(_endMs - _startMs);

    private List<T> Pick<T>(List<T> candidates, int count)
    {
        var shuffled = candidates.ToArray();
        _random.Shuffle(shuffled);
        return [.. shuffled.Take(count)];
    }

    private static IEnumerable<int> Range(int first, int last) => Enumerable.Range(first, last - first + 1);
}

using OrleansDetect.Detection;

namespace OrleansDetect.Tests.Detection;

/// <summary>Unusual DoT/DoQ/DoH against a learned baseline: 1 h learning, 5-min windows.</summary>
public sealed class EncryptedDnsDetectorTests
{
    private const long WindowMs = 5 * 60_000;
    private static readonly NetAddress Cloudflare = NetAddress.Parse("1.1.1.1");
    private static readonly NetAddress Google = NetAddress.Parse("8.8.8.8");
    private static readonly NetAddress Unknown = NetAddress.Parse("198.51.100.53");

    private readonly TestWorkload _workload = new(new DetectionSettings
    {
        Baseline = new BaselineOptions
        {
            LearningPeriod = TimeSpan.FromHours(1),
            MinActiveWindows = 3,
            Window = TimeSpan.FromMinutes(5),
        },
    });

    private WorkloadBaseline Baseline => _workload.Baseline;

    [Fact]
    public void Nothing_alerts_while_learning_and_what_is_seen_becomes_the_baseline()
    {
        // Within the first hour: unknown resolvers, DoQ, DoH and a burst of 500 connections.
        Feed(Dot(Flows.T0, Unknown));
        Feed(Doq(Flows.T0 + 1000, Google));
        Feed(Event(Flows.T0 + 2000, Cloudflare, 443, FlowProtocol.Tcp));
        for (var i = 0; i < 500; i++) Feed(Dot(Flows.T0 + 10_000 + i, Cloudflare));

        Assert.Empty(Collect());
        Assert.False(Baseline.IsLearned);
        var resolvers = Baseline.Resolvers().Select(r => (r.Address.ToString(), r.Protocol, r.Stats.Learned)).ToList();
        Assert.Contains(("198.51.100.53", EncryptedDnsProtocol.DoT, true), resolvers);
        Assert.Contains(("8.8.8.8", EncryptedDnsProtocol.DoQ, true), resolvers);
        Assert.Contains(("1.1.1.1", EncryptedDnsProtocol.DoH, true), resolvers);
    }

    [Fact]
    public void After_learning_an_unknown_resolver_is_high_with_its_evidence()
    {
        var end = LearnDot(windows: 14, perWindow: i => 4 + (i % 4));

        Feed(Dot(end + 1000, Unknown));
        Feed(Dot(end + 2000, Unknown)); // the same resolver again: still one finding

        var finding = Assert.Single(Collect());
        Assert.Equal(NewResolver, Kind(finding));
        Assert.Equal(Severity.High, finding.Severity);
        Assert.Equal(Unknown, finding.Key.Target);
        Assert.Equal((FlowProtocol.Tcp, 853), (finding.Key.Protocol, finding.Key.Port));
        Assert.Equal("198.51.100.53", finding.Evidence![EvidenceKeys.Resolver]);
        Assert.Equal("resolver not in baseline, not a known public resolver", Reason(finding));
        Assert.Equal("1.1.1.1 (Cloudflare)", finding.Evidence["baseline resolvers"]);
        Assert.StartsWith("mean 5.", finding.Evidence["baseline connections per window"]);
        Assert.Equal(["T1071.004", "T1573.002", "T1572"], finding.Mitre);
    }

    [Fact]
    public void After_learning_a_well_known_public_resolver_not_in_theBaseline_is_low()
    {
        var end = LearnDot(windows: 14, perWindow: _ => 5);

        Feed(Dot(end + 1000, Google));

        var finding = Assert.Single(Collect());
        Assert.Equal(Severity.Low, finding.Severity);
        Assert.Equal("8.8.8.8 (Google Public DNS)", finding.Evidence![EvidenceKeys.Resolver]);
        Assert.Equal("resolver not in baseline, Google Public DNS", Reason(finding));
    }

    [Fact]
    public void First_ever_use_is_medium_to_a_known_resolver_and_high_to_an_unknown_one()
    {
        var end = LearnWithoutEncryptedDns(windows: 14);

        Feed(Doq(end + 1000, Cloudflare));
        Feed(Dot(end + 2000, Unknown));

        var findings = Collect();
        Assert.Equal(2, findings.Count);
        Assert.Equal((FirstUse, Severity.Medium), (Kind(findings[0]), findings[0].Severity));
        Assert.Equal("first DNS-over-QUIC use by this workload, Cloudflare", Reason(findings[0]));
        Assert.Equal((FirstUse, Severity.High), (Kind(findings[1]), findings[1].Severity));
        Assert.Equal("first DNS-over-TLS use by this workload, not a known public resolver", Reason(findings[1]));
    }

    [Fact]
    public void Ten_times_the_usual_volume_is_high_once_per_window_and_is_not_learned()
    {
        var end = LearnDot(windows: 14, perWindow: i => 4 + (i % 4));
        var windowStart = NextWindow(end);
        Feed(Dot(windowStart, Cloudflare));
        var meanBefore = Baseline.Volume(EncryptedDnsProtocol.DoT).Connections.Mean;
        for (var i = 1; i < 55; i++) Feed(Dot(windowStart + i * 1000, Cloudflare));

        var finding = Assert.Single(Collect());
        Assert.Equal(Volume, Kind(finding));
        Assert.Equal(Severity.High, finding.Severity);
        var threshold = _workload.Detection.View().Baseline!.EncryptedDnsVolumes.Single(v => v.Protocol == "dot").ConnectionThreshold;
        Assert.Equal(threshold, finding.Threshold);
        Assert.Equal((threshold + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), finding.Evidence!["connections in window"]);
        Assert.Contains("× learned high", finding.ThresholdReason);

        // The next window closes the alerting one without learning it.
        Feed(Dot(windowStart + WindowMs + 1000, Cloudflare));
        Assert.Equal(meanBefore, Baseline.Volume(EncryptedDnsProtocol.DoT).Connections.Mean);
    }

    [Fact]
    public void Ordinary_variation_raises_nothing_and_is_learned_slowly()
    {
        var end = LearnDot(windows: 14, perWindow: i => 4 + (i % 4));
        var meanBefore = Baseline.Volume(EncryptedDnsProtocol.DoT).Connections.Mean;

        var start = NextWindow(end);
        for (var w = 0; w < 30; w++)
        {
            var count = 2 + (w * 7 % 10); // 2..11 connections: up to twice the usual
            for (var i = 0; i < count; i++) Feed(Dot(start + w * WindowMs + i * 1000, i % 3 == 0 ? Cloudflare : NetAddress.Parse("1.0.0.1")));
        }

        // 1.0.0.1 was never used while learning: one low finding, nothing about volume.
        var finding = Assert.Single(Collect());
        Assert.Equal((NewResolver, Severity.Low), (Kind(finding), finding.Severity));
        Assert.InRange(Baseline.Volume(EncryptedDnsProtocol.DoT).Connections.Mean, meanBefore - 0.5, meanBefore + 0.5);
    }

    [Fact]
    public void DoH_is_443_to_a_known_resolver_only_and_failed_attempts_count_as_usage()
    {
        var classifier = new EncryptedDnsDetector(new EncryptedDnsOptions(), KnownResolvers.Shipped, new WorkloadBaseline(new BaselineOptions()), AlertSubject.Workload("w"));
        Assert.Equal(EncryptedDnsProtocol.DoH, classifier.Classify(Event(Flows.T0, Google, 443, FlowProtocol.Tcp), out var name));
        Assert.Equal("Google Public DNS", name);
        Assert.Equal(EncryptedDnsProtocol.DoH, classifier.Classify(Event(Flows.T0, NetAddress.Parse("2606:4700:4700::1111"), 443, FlowProtocol.Udp), out _));
        Assert.Null(classifier.Classify(Event(Flows.T0, Unknown, 443, FlowProtocol.Tcp), out _));
        Assert.Equal(EncryptedDnsProtocol.DoT, classifier.Classify(Event(Flows.T0, Unknown, 853, FlowProtocol.Tcp), out _));
        Assert.Equal(EncryptedDnsProtocol.DoQ, classifier.Classify(Event(Flows.T0, Unknown, 853, FlowProtocol.Udp), out _));

        var end = LearnDot(windows: 14, perWindow: _ => 5);
        Feed(Flows.Failed(end + 1000, Unknown, 853));
        Assert.Equal(Severity.High, Assert.Single(Collect()).Severity);
    }

    [Fact]
    public void A_million_distinct_resolvers_keep_memory_bounded_and_alerts_few()
    {
        var end = LearnDot(windows: 14, perWindow: _ => 5);
        var start = NextWindow(end);
        for (var i = 0; i < 1_000_000; i++)
        {
            Feed(Dot(start + i / 4, NetAddress.FromV4(0x2D00_0000u + (uint)i))); // all within one window
        }

        Assert.Equal(Baseline.Options.MaxResolvers, Baseline.ResolverCount);
        Assert.True(Baseline.ResolversEvicted >= 1_000_000 - 256);
        var findings = Collect();
        Assert.Equal(EncryptedDnsDetector.MaxNewResolverFindingsPerWindow, findings.Count(f => Kind(f) == NewResolver));
        Assert.Single(findings, f => Kind(f) == Volume);
    }

    /// <summary>DoT to 1.1.1.1 in every window for the whole learning period; returns the last event time.</summary>
    private long LearnDot(int windows, Func<int, int> perWindow)
    {
        long last = 0;
        for (var w = 0; w < windows; w++)
        {
            for (var i = 0; i < perWindow(w); i++)
            {
                last = Flows.T0 + w * WindowMs + i * 1000;
                Feed(Dot(last, Cloudflare));
            }
        }

        Assert.True(Baseline.IsLearned);
        Assert.Empty(Collect());
        return last;
    }

    private long LearnWithoutEncryptedDns(int windows)
    {
        long last = 0;
        for (var w = 0; w < windows; w++)
        {
            last = Flows.T0 + w * WindowMs;
            Feed(Flows.Established(last, NetAddress.Parse("10.0.0.8"), 5432));
        }

        Assert.True(Baseline.IsLearned);
        return last;
    }

    private static long NextWindow(long timeMs) => (timeMs / WindowMs + 1) * WindowMs;

    private const string FirstUse = "first use";
    private const string NewResolver = "new resolver";
    private const string Volume = "volume";

    private void Feed(FlowEvent e) => Assert.True(_workload.Observe(e));

    private List<Finding> Collect() => _workload.Collect();

    private static string Reason(Finding f) => f.Evidence![EvidenceKeys.Reason];

    /// <summary>Volume findings are keyed by scope "volume"; resolver findings by the resolver, first uses say so.</summary>
    private static string Kind(Finding f) =>
        f.Key.Scope == Scopes.Volume ? Volume : Reason(f).StartsWith("first ", StringComparison.Ordinal) ? FirstUse : NewResolver;

    private static FlowEvent Dot(long timeMs, NetAddress resolver) => Event(timeMs, resolver, 853, FlowProtocol.Tcp);

    private static FlowEvent Doq(long timeMs, NetAddress resolver) => Event(timeMs, resolver, 853, FlowProtocol.Udp);

    private static FlowEvent Event(long timeMs, NetAddress dst, int port, FlowProtocol protocol) =>
        new(timeMs, Flows.Workload, 40000, dst, (ushort)port, protocol, FlowState.Established, 3000, 10);
}

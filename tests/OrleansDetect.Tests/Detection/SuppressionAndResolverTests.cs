using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansDetect.Detection;

namespace OrleansDetect.Tests.Detection;

public sealed class SuppressionAndResolverTests
{
    [Fact]
    public void A_rule_matches_only_when_every_field_it_sets_matches()
    {
        var rules = new SuppressionRules(
        [
            new SuppressionRuleOptions { Workload = "scanner-*", Type = "port-sweep", Port = 22, Reason = "vulnerability scanner" },
            new SuppressionRuleOptions { Cidr = "10.50.0.0/16" },
            new SuppressionRuleOptions { Workload = "laptop-??", Type = "unusual-encrypted-dns", Cidr = "198.51.100.53" },
        ]);

        Assert.Equal(0, rules.Match(Sweep("Scanner-EU-1", 22, "203.0.113.1")));
        Assert.Equal(-1, rules.Match(Sweep("scanner-1", 23, "203.0.113.1")));
        Assert.Equal(-1, rules.Match(Sweep("web-1", 22, "203.0.113.1")));
        Assert.Equal(1, rules.Match(Sweep("web-1", 8080, "10.50.1.1", "10.50.9.9")));
        Assert.Equal(-1, rules.Match(Sweep("web-1", 8080, "10.50.1.1", "10.51.0.1"))); // one target outside the CIDR
        Assert.Equal(2, rules.Match(Resolver("laptop-07", "198.51.100.53")));
        Assert.Equal(-1, rules.Match(Resolver("laptop-007", "198.51.100.53")));
        var scan = Sweep("db-1", 0, "1", "2");
        Assert.Equal(1, rules.Match(scan with { Key = scan.Key with { Type = DetectionTypes.PortScan, Port = null, Scope = null, Target = NetAddress.Parse("10.50.3.3") } }));
        Assert.Equal("vulnerability scanner", rules.Reason(0));
        Assert.Equal("rule 1", rules.Reason(1));
    }

    [Fact]
    public void Known_resolvers_cover_the_shipped_list_v4_and_v6_and_the_operators_own()
    {
        var known = KnownResolvers.Load([new ResolverEntry { Cidr = "10.0.0.53/32", Name = "corp resolver" }]);

        Assert.Equal("Cloudflare", known.Find(NetAddress.Parse("1.1.1.1")));
        Assert.Equal("Cloudflare", known.Find(NetAddress.Parse("2606:4700:4700::1001")));
        Assert.Equal("Google Public DNS", known.Find(NetAddress.Parse("2001:4860:4860::8844")));
        Assert.Equal("Quad9", known.Find(NetAddress.Parse("149.112.112.112")));
        Assert.Equal("AdGuard DNS", known.Find(NetAddress.Parse("2a10:50c0::ad1:ff")));
        Assert.Equal("OpenDNS", known.Find(NetAddress.Parse("208.67.220.220")));
        Assert.Equal("NextDNS", known.Find(NetAddress.Parse("45.90.28.190")));
        Assert.Equal("NextDNS", known.Find(NetAddress.Parse("2a07:a8c1::ab:cdef")));
        Assert.Equal("Mullvad DNS", known.Find(NetAddress.Parse("194.242.2.4")));
        Assert.Equal("Control D", known.Find(NetAddress.Parse("76.76.2.11")));
        Assert.Equal("corp resolver", known.Find(NetAddress.Parse("10.0.0.53")));
        Assert.Null(known.Find(NetAddress.Parse("198.51.100.53")));
        Assert.Null(KnownResolvers.Shipped.Find(NetAddress.Parse("10.0.0.53")));
    }

    [Fact]
    public void Bad_baseline_resolver_and_suppression_settings_fail_naming_the_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Detection:Baseline:LearningPeriod"] = "-01:00:00",
            ["Detection:EncryptedDns:Resolvers:0:Cidr"] = "10.0.0.53/33",
            ["Detection:Suppress:0:Workload"] = "scanner-*",
            ["Detection:Suppress:1:Cidr"] = "not-a-network",
            ["Detection:MaxClockSkew"] = "00:00:00",
            ["Detection:AllowedLateness"] = "-00:01:00",
        }).Build();
        using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddDetectionOptions().BuildServiceProvider();

        Assert.Contains("Detection:Baseline:LearningPeriod must not be negative",
            Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<BaselineOptions>>().Value).Message, StringComparison.Ordinal);
        Assert.Contains("Detection:EncryptedDns:Resolvers:0:Cidr '10.0.0.53/33' is not a CIDR",
            Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EncryptedDnsOptions>>().Value).Message, StringComparison.Ordinal);
        var suppress = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SuppressionOptions>>().Value).Message;
        Assert.Contains("Detection:Suppress:1:Cidr 'not-a-network' is not a CIDR", suppress, StringComparison.Ordinal);
        Assert.DoesNotContain("Suppress:0", suppress, StringComparison.Ordinal);
        var clock = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EventClockOptions>>().Value).Message;
        Assert.Contains("Detection:MaxClockSkew must be positive", clock, StringComparison.Ordinal);
        Assert.Contains("Detection:AllowedLateness must not be negative", clock, StringComparison.Ordinal);
        Assert.True(new BaselineOptionsValidator().Validate(null, new BaselineOptions()).Succeeded);
        Assert.True(new EncryptedDnsOptionsValidator().Validate(null, new EncryptedDnsOptions()).Succeeded);
    }

    private static Finding Resolver(string workload, string resolver)
    {
        var finding = Sweep(workload, 853, resolver);
        return finding with { Key = finding.Key with { Type = DetectionTypes.UnusualEncryptedDns, Scope = null, Target = NetAddress.Parse(resolver) } };
    }

    private static Finding Sweep(string workload, int port, params string[] targets) => new()
    {
        Key = new AlertKey
        {
            Subject = AlertSubject.Workload(workload),
            Type = DetectionTypes.PortSweep,
            Protocol = FlowProtocol.Tcp,
            Port = port,
            Scope = Scopes.Public,
        },
        Severity = Severity.Medium,
        DistinctTargets = targets.Length,
        SampleTargets = targets,
        WindowStartMs = 0,
        WindowEndMs = 0,
        Threshold = 25,
        ThresholdReason = "static",
        Mitre = [],
    };
}

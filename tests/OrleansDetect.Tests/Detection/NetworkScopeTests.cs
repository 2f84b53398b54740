using System.Net;
using OrleansDetect.Detection;

namespace OrleansDetect.Tests.Detection;

public class NetworkScopeTests
{
    [Theory]
    // RFC 1918, with the edges of each block
    [InlineData("10.0.0.0")]
    [InlineData("10.255.255.255")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.0.1")]
    [InlineData("192.168.255.255")]
    // RFC 6598 CGNAT
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    // link-local and loopback
    [InlineData("169.254.0.1")]
    [InlineData("169.254.255.255")]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("::ffff:10.1.2.3")]
    // IPv6 ULA, link-local, loopback
    [InlineData("fc00::1")]
    [InlineData("fd12:3456:789a::1")]
    [InlineData("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("fe80::1")]
    [InlineData("febf:ffff::1")]
    [InlineData("::1")]
    public void Private_ranges_are_internal(string address) =>
        Assert.Equal(TargetScope.Internal, NetworkScope.Default.Classify(NetAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("9.255.255.255")]
    [InlineData("11.0.0.0")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.0")]
    [InlineData("192.167.255.255")]
    [InlineData("192.169.0.0")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.0")]
    [InlineData("169.253.255.255")]
    [InlineData("169.255.0.0")]
    [InlineData("126.255.255.255")]
    [InlineData("128.0.0.0")]
    [InlineData("0.0.0.1")] // "this network" beyond the unspecified address itself
    [InlineData("223.255.255.255")]
    // documentation and reserved ranges: probing them is still probing
    [InlineData("192.0.2.1")]
    [InlineData("198.51.100.7")]
    [InlineData("203.0.113.9")]
    [InlineData("240.0.0.1")]
    [InlineData("255.255.255.254")]
    [InlineData("2001:db8::1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("fbff:ffff::1")] // just below fc00::/7
    [InlineData("fec0::1")] // just above fe80::/10
    [InlineData("::2")]
    public void Other_unicast_is_public(string address) =>
        Assert.Equal(TargetScope.Public, NetworkScope.Default.Classify(NetAddress.Parse(address)));

    [Theory]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("255.255.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("ff02::1")]
    [InlineData("ff05::1:3")]
    [InlineData("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    public void Multicast_broadcast_and_unspecified_are_not_targets(string address) =>
        Assert.Equal(TargetScope.NotATarget, NetworkScope.Default.Classify(NetAddress.Parse(address)));

    [Theory]
    [InlineData("203.0.113.5", TargetScope.Internal)]
    [InlineData("203.0.114.1", TargetScope.Public)]
    [InlineData("198.51.100.7", TargetScope.Internal)] // via the IPv4-mapped IPv6 CIDR
    [InlineData("198.51.101.7", TargetScope.Public)]
    [InlineData("2001:db8:1::5", TargetScope.Internal)]
    [InlineData("2001:db8:1:ffff::1", TargetScope.Internal)]
    [InlineData("2001:db8:2::1", TargetScope.Public)]
    [InlineData("224.0.0.5", TargetScope.NotATarget)] // an operator CIDR cannot make multicast a target
    [InlineData("10.9.9.9", TargetScope.Internal)]
    public void Operator_networks_are_internal(string address, TargetScope expected)
    {
        var scope = NetworkScope.FromOptions(new NetworkScopeOptions
        {
            InternalNetworks = ["203.0.113.0/24", "2001:db8:1::/48", "::ffff:198.51.100.0/120", "224.0.0.0/4"],
        });

        Assert.Equal(expected, scope.Classify(NetAddress.Parse(address)));
    }

    [Fact]
    public void Whole_address_space_cidrs_work()
    {
        var scope = new NetworkScope([IPNetwork.Parse("0.0.0.0/0")]);
        Assert.Equal(TargetScope.Internal, scope.Classify(NetAddress.Parse("8.8.8.8")));
        Assert.Equal(TargetScope.Public, scope.Classify(NetAddress.Parse("2001:4860::8888")));

        var single = new NetworkScope([IPNetwork.Parse("2001:4860::8888/128"), IPNetwork.Parse("1.1.1.1/32")]);
        Assert.Equal(TargetScope.Internal, single.Classify(NetAddress.Parse("2001:4860::8888")));
        Assert.Equal(TargetScope.Public, single.Classify(NetAddress.Parse("2001:4860::8889")));
        Assert.Equal(TargetScope.Internal, single.Classify(NetAddress.Parse("1.1.1.1")));
        Assert.Equal(TargetScope.Public, single.Classify(NetAddress.Parse("1.1.1.2")));
    }

    [Fact]
    public void A_bad_cidr_is_rejected_naming_the_key()
    {
        var result = new NetworkScopeOptionsValidator().Validate(null, new NetworkScopeOptions
        {
            InternalNetworks = ["10.20.0.0/16", "10.20.0.0/33", "not-a-network"],
        });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Detection:InternalNetworks:1 ", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Detection:InternalNetworks:2 ", StringComparison.Ordinal));
        Assert.Equal(2, result.Failures!.Count());
    }
}

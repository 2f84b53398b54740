using OrleansDetect.Detection;
using static OrleansDetect.Tests.Infrastructure.Flows;

namespace OrleansDetect.Tests.Detection;

public sealed class WorkloadAddressesTests
{
    [Fact]
    public void A_server_receiving_scans_recognises_them_as_inbound()
    {
        var addresses = new WorkloadAddresses();
        var inbound = 0;
        for (var i = 0; i < 300; i++)
        {
            // Background scanners from all over hit the server's ports.
            if (addresses.ObserveIsInbound(Failed(T0.AddSeconds(i), $"198.18.{i % 200}.{i % 250 + 1}", "10.0.0.5", 1000 + i))) inbound++;
        }

        Assert.Equal(NetAddress.Parse("10.0.0.5"), addresses.Self);
        Assert.True(inbound >= 290, $"only {inbound} of 300 inbound flows recognised");
    }

    [Fact]
    public void A_sweeper_is_never_mistaken_for_its_targets()
    {
        var addresses = new WorkloadAddresses();
        for (var i = 0; i < 300; i++)
        {
            Assert.False(addresses.ObserveIsInbound(Failed(T0.AddSeconds(i), "10.0.0.5", $"198.18.{i / 250}.{i % 250 + 1}", 22)));
        }

        Assert.Equal(NetAddress.Parse("10.0.0.5"), addresses.Self);
    }

    [Fact]
    public void Mixed_traffic_keeps_outbound_flows_outbound()
    {
        var addresses = new WorkloadAddresses();
        var outboundFlagged = 0;
        for (var i = 0; i < 1000; i++)
        {
            var e = i % 2 == 0
                ? Established(T0.AddSeconds(i), $"203.0.113.{i % 50 + 1}", "10.0.0.5", 443)   // clients in
                : Established(T0.AddSeconds(i), "10.0.0.5", $"10.1.0.{i % 20 + 1}", 5432);    // the server out to its databases
            if (addresses.ObserveIsInbound(e) && e.Src == NetAddress.Parse("10.0.0.5")) outboundFlagged++;
        }

        Assert.Equal(0, outboundFlagged);
    }

    [Fact]
    public void A_vertical_scan_of_one_target_stays_outbound()
    {
        var addresses = new WorkloadAddresses();
        for (var i = 0; i < 2000; i++)
        {
            Assert.False(addresses.ObserveIsInbound(Failed(T0.AddMilliseconds(i), "10.0.0.5", "10.9.9.9", 1 + i)));
        }
    }
}

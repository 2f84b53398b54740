using OrleansDetect.Grains.Alerts;

namespace OrleansDetect.Tests.Alerts;

public class AlertTextTests
{
    [Fact]
    public void Public_sweep_title_says_who_probed_what_where()
    {
        Assert.Equal("Port sweep: web-1 probed tcp/22 on 200 public addresses", AlertText.Title(AlertSamples.PublicSweep()));
    }

    [Fact]
    public void Internal_sweep_title_names_internal_addresses()
    {
        var d = AlertSamples.InScope(AlertSamples.PublicSweep(distinct: 40), Scopes.Internal);
        Assert.Equal("Port sweep: web-1 probed tcp/22 on 40 internal addresses", AlertText.Title(d));
    }

    [Fact]
    public void Saturated_count_reads_as_a_lower_bound()
    {
        var d = AlertSamples.PublicSweep(distinct: 4096) with
        {
            Evidence = new() { [EvidenceKeys.Saturated] = "true" },
        };
        Assert.Equal("Port sweep: web-1 probed tcp/22 on at least 4096 public addresses", AlertText.Title(d));
    }

    [Fact]
    public void Port_scan_title_names_the_target_address()
    {
        Assert.Equal("Port scan: web-1 probed 120 tcp ports on 10.0.0.5", AlertText.Title(AlertSamples.PortScan()));
    }

    [Fact]
    public void Encrypted_dns_title_uses_the_evidence()
    {
        var d = AlertSamples.PublicSweep() with
        {
            Key = new AlertKey { Subject = AlertSubject.Workload("web-1"), Type = DetectionTypes.UnusualEncryptedDns, Protocol = FlowProtocol.Tcp, Port = 853, Target = NetAddress.Parse("45.90.28.1") },
            Evidence = new()
            {
                [EvidenceKeys.Resolver] = "45.90.28.1",
                [EvidenceKeys.Reason] = "resolver not in baseline",
            },
        };
        Assert.Equal("Unusual DNS-over-TLS: web-1 → 45.90.28.1 (resolver not in baseline)", AlertText.Title(d));
    }

    [Fact]
    public void Description_lists_the_evidence_a_responder_needs()
    {
        var d = AlertSamples.PublicSweep() with
        {
            DuringLearning = true,
            Evidence = new() { ["baseline p99"] = "3" },
        };
        var text = AlertText.Describe(AlertSamples.Alert(d, version: 2));

        Assert.Contains("Severity: high", text);
        Assert.Contains("Workload: web-1", text);
        Assert.Contains("Protocol/port: tcp/22", text);
        Assert.Contains("Scope: public", text);
        Assert.Contains("Distinct targets: 200", text);
        Assert.Contains("198.51.100.7, 203.0.113.9, 192.0.2.44", text);
        Assert.Contains("Window: 2026-11-28T04:43:00Z to 2026-11-28T04:48:00Z (UTC)", text);
        Assert.Contains("Threshold: 100 (static default)", text);
        Assert.Contains("During learning: yes", text);
        Assert.Contains("Updates: 2", text);
        Assert.Contains("T1046 Network Service Discovery; T1595.001 Scanning IP Blocks", text);
        Assert.Contains("baseline p99: 3", text);
    }

    [Theory]
    [InlineData(Severity.Low, "low")]
    [InlineData(Severity.Medium, "medium")]
    [InlineData(Severity.High, "high")]
    public void Severity_names(Severity severity, string name) => Assert.Equal(name, severity.Name());
}

using OrleansDetect.Detection;
using OrleansDetect.Grains.Alerts;
using static OrleansDetect.Tests.Detection.Flows;

namespace OrleansDetect.Tests.Detection;

/// <summary>One incident per scanner: many sweeps and scans of one workload fold into one growing finding.</summary>
public class ReconIncidentTests
{
    /// <summary>masscan: every (host, port) pair once, in a shuffled order, over a minute.</summary>
    internal static FlowEvent[] Masscan(int ports, int hosts, long startMs = T0, int seed = 7)
    {
        var events = new FlowEvent[ports * hosts];
        for (var p = 0; p < ports; p++)
        {
            for (var h = 0; h < hosts; h++) events[(p * hosts) + h] = Failed(0, Public(h), 1 + p);
        }

        new Random(seed).Shuffle(events);
        for (var i = 0; i < events.Length; i++) events[i] = events[i] with { TimeMs = startMs + (i * 60_000L / events.Length) };
        return events;
    }

    [Fact]
    public void A_masscan_of_1000_ports_on_50_hosts_is_one_incident_listing_every_port_and_host()
    {
        var workload = new TestWorkload(new DetectionSettings());
        var findings = new List<Finding>();
        var events = Masscan(1_000, 50);
        for (var start = 0; start < events.Length; start += 5_000)
        {
            workload.Detection.Observe(events.AsSpan(start, 5_000), long.MaxValue);
            workload.Detection.Collect(findings);
        }

        Assert.All(findings, f => Assert.Equal(DetectionTypes.ReconIncident, f.Type));
        Assert.Single(findings.Select(f => f.Key).Distinct());
        var incident = findings[^1];
        Assert.Equal(Severity.High, incident.Severity);
        Assert.Equal(1_050, incident.DistinctTargets); // 1,000 port sweeps and 50 port scans
        Assert.StartsWith("1000: 1, 2, 3,", incident.Evidence![IncidentEvidence.PortsSwept]);
        Assert.StartsWith("50: ", incident.Evidence[IncidentEvidence.HostsScanned]);
        Assert.Equal("1000", incident.Evidence[IncidentEvidence.MostPortsOnAHost]);
        Assert.Equal("50", incident.Evidence[IncidentEvidence.MostTargetsOnAPort]);
        // Per-port and per-host findings, each at its latest count, as many as the incident lists (200 by default:
        // half for sweeps, half for scans).
        var listed = incident.Evidence[IncidentEvidence.Findings].Split("; ");
        Assert.Equal(150, listed.Length);
        Assert.Contains($"port-scan tcp {Public(0)}: 1000 (high)", listed);
        Assert.Equal(50, listed.Count(f => f.StartsWith("port-scan tcp ", StringComparison.Ordinal)));
        Assert.Equal(100, listed.Count(f => f.StartsWith("port-sweep tcp/", StringComparison.Ordinal) && f.EndsWith(" public: 50 (medium)", StringComparison.Ordinal)));
        Assert.Equal("Recon incident: test-workload swept 1000 ports and scanned 50 hosts (1050 sweeps and scans in one incident)", AlertText.Title(incident));
        Assert.True(findings.Count <= 10, $"{findings.Count} incident updates for 10 batches");
    }

    [Fact]
    public void Up_to_three_sweeps_and_scans_stand_alone_and_a_fourth_opens_the_incident()
    {
        var workload = new TestWorkload(new DetectionSettings { Slow = new SlowProbeOptions { Enabled = false } });
        var all = new List<Finding>();
        for (var port = 1; port <= 4; port++)
        {
            Sweep(workload, 30, port, Public, startMs: T0 + (port * 40_000L));
            var round = workload.Collect();
            all.AddRange(round);
            if (port <= 3) Assert.Equal(DetectionTypes.PortSweep, Assert.Single(round).Type);
            else Assert.Equal(DetectionTypes.ReconIncident, Assert.Single(round).Type);
        }

        // Once open, the incident takes the first three ports' updates too.
        workload.Observe(Failed(T0 + 200_000, Public(500), 1));
        Assert.Equal(DetectionTypes.ReconIncident, Assert.Single(workload.Collect()).Type);
    }

    [Fact]
    public void The_incident_closes_after_an_interval_without_sweeps_or_scans()
    {
        var settings = new DetectionSettings { Slow = new SlowProbeOptions { Enabled = false }, Incident = new IncidentOptions { FoldAfter = 1, Interval = TimeSpan.FromMinutes(30) } };
        var workload = new TestWorkload(settings);
        Sweep(workload, 30, 1, Public);
        Sweep(workload, 30, 2, Public, startMs: T0 + 40_000);
        Assert.Equal(DetectionTypes.ReconIncident, Assert.Single(workload.Collect()).Type);

        // 31 min later the next sweep stands alone again.
        Sweep(workload, 30, 3, Public, startMs: T0 + (72 * 60_000L));
        Assert.Equal(DetectionTypes.PortSweep, Assert.Single(workload.Collect()).Type);
    }

    [Fact]
    public void Encrypted_dns_and_chains_are_never_folded()
    {
        var incident = new ReconIncident(new IncidentOptions { FoldAfter = 0 }, AlertSubject.Workload("w"));
        var chain = new Finding
        {
            Key = new AlertKey { Subject = AlertSubject.Workload("w"), Type = DetectionTypes.ReconChain, Protocol = FlowProtocol.Tcp, Port = 445, Scope = Scopes.Internal },
            Severity = Severity.High, DistinctTargets = 1, SampleTargets = [], WindowStartMs = T0, WindowEndMs = T0, Threshold = 1, ThresholdReason = "", Mitre = [],
        };
        var found = new List<Finding> { chain };
        incident.Fold(found, T0, duringLearning: false);
        Assert.Equal([chain], found);
        Assert.False(incident.IsOpen);
    }
}

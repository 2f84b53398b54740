using OrleansDetect.Detection;
using OrleansDetect.Grains.Alerts;
using static OrleansDetect.Tests.Detection.Flows;

namespace OrleansDetect.Tests.Detection;

/// <summary>Sweep followed by scan of the hosts that answered it, on one workload's clock.</summary>
public class ReconChainDetectorTests
{
    private static FlowEvent Rejected(long timeMs, NetAddress dst, int port) =>
        Failed(timeMs, dst, port) with { State = FlowState.Rejected };

    /// <summary>An internal sweep of tcp/445 over 40 hosts a second apart; hosts 3 and 7 complete the handshake, 11 refuses.</summary>
    private static List<Finding> SweepWithAnswers(TestWorkload workload)
    {
        var findings = new List<Finding>();
        for (var i = 0; i < 40; i++)
        {
            var at = T0 + (i * 1_000L);
            workload.Observe(i switch
            {
                3 or 7 => Established(at, Internal(i), 445),
                11 => Rejected(at, Internal(i), 445),
                _ => Failed(at, Internal(i), 445),
            });
            findings.AddRange(workload.Collect());
        }

        return findings;
    }

    private static List<Finding> Scan(TestWorkload workload, NetAddress host, long startMs, int ports, int firstPort = 1)
    {
        var findings = new List<Finding>();
        for (var p = 0; p < ports; p++)
        {
            workload.Observe(Failed(startMs + (p * 100L), host, firstPort + p));
            findings.AddRange(workload.Collect());
        }

        return findings;
    }

    [Fact]
    public void A_scan_of_a_host_that_answered_the_sweep_is_one_high_chain_linking_both()
    {
        var workload = new TestWorkload(new DetectionSettings());
        var sweep = SweepWithAnswers(workload).First(f => f.Type == DetectionTypes.PortSweep);

        // Ten minutes later: 20 ports on host 7, which answered the sweep; it also answers on tcp/22 and tcp/445.
        var start = T0 + (10 * 60_000L);
        workload.Observe(Established(start, Internal(7), 22));
        var findings = Scan(workload, Internal(7), start, 20);
        var scan = findings.First(f => f.Type == DetectionTypes.PortScan);
        // One chain (one alert key) that grows as the scan names more ports.
        var chains = findings.Where(f => f.Type == DetectionTypes.ReconChain).ToList();
        Assert.Single(chains.Select(c => c.Key).Distinct());
        var chain = chains[^1];

        Assert.Equal(Severity.High, chain.Severity);
        Assert.Equal(445, chain.Key.Port);
        Assert.Equal(Scopes.Internal, chain.Key.Scope);
        Assert.Equal([Internal(7).ToString()], chain.SampleTargets);
        Assert.Equal(["T1046", "T1595"], chain.Mitre);
        Assert.Equal([sweep.Key, scan.Key], chain.Related!);
        Assert.Equal(sweep.Key.Fingerprint, chain.Evidence![ReconEvidence.Sweep]);
        Assert.Equal(scan.Key.Fingerprint, chain.Evidence[ReconEvidence.Scans]);
        Assert.Equal("3", chain.Evidence[ReconEvidence.AnsweredSweep]);
        Assert.Equal($"{Internal(7)}: tcp/22, tcp/445", chain.Evidence[ReconEvidence.OpenPorts]);
        var probed = chain.Evidence[ReconEvidence.PortsProbed].Split(", ").Select(int.Parse).ToList();
        Assert.InRange(probed.Count, 10, 20); // the scans' samples, in order
        Assert.All(probed, p => Assert.InRange(p, 1, 20));
        Assert.Equal(probed.Order(), probed);
        Assert.Equal($"Sweep followed by scan: test-workload swept tcp/445 (internal), then scanned 1 host that answered it: {Internal(7)}", AlertText.Title(chain));
    }

    [Fact]
    public void A_second_answering_host_scanned_grows_the_same_chain()
    {
        var workload = new TestWorkload(new DetectionSettings());
        SweepWithAnswers(workload);
        var first = Scan(workload, Internal(3), T0 + 300_000, 15).Single(f => f.Type == DetectionTypes.ReconChain);
        var second = Scan(workload, Internal(11), T0 + 400_000, 15, firstPort: 100).Last(f => f.Type == DetectionTypes.ReconChain);

        Assert.Equal(first.Key, second.Key);
        Assert.Equal(2, second.DistinctTargets);
        Assert.Equal([Internal(3).ToString(), Internal(11).ToString()], second.SampleTargets);
        Assert.Equal(3, second.Related!.Length);
    }

    [Fact]
    public void A_scan_of_a_host_that_never_answered_is_no_chain()
    {
        var workload = new TestWorkload(new DetectionSettings());
        SweepWithAnswers(workload);
        var findings = Scan(workload, Internal(5), T0 + 300_000, 30);
        Assert.Contains(findings, f => f.Type == DetectionTypes.PortScan);
        Assert.DoesNotContain(findings, f => f.Type == DetectionTypes.ReconChain);
    }

    [Fact]
    public void Answers_without_a_sweep_are_no_chain()
    {
        // 24 hosts (one short of the lateral-movement threshold), host 7 answers, then host 7 is scanned.
        var workload = new TestWorkload(new DetectionSettings { Slow = new SlowProbeOptions { Enabled = false } });
        for (var i = 0; i < 24; i++) workload.Observe(i == 7 ? Established(T0 + i, Internal(i), 445) : Failed(T0 + i, Internal(i), 445));
        Assert.Empty(workload.Collect());
        var findings = Scan(workload, Internal(7), T0 + 60_000, 20);
        Assert.Contains(findings, f => f.Type == DetectionTypes.PortScan);
        Assert.DoesNotContain(findings, f => f.Type == DetectionTypes.ReconChain);
    }

    [Fact]
    public void A_scan_after_the_follow_up_window_is_no_chain()
    {
        var workload = new TestWorkload(new DetectionSettings { ReconChain = new ReconChainOptions { FollowUpWindow = TimeSpan.FromMinutes(30) } });
        SweepWithAnswers(workload);
        var findings = Scan(workload, Internal(7), T0 + (31 * 60_000L), 20);
        Assert.Contains(findings, f => f.Type == DetectionTypes.PortScan);
        Assert.DoesNotContain(findings, f => f.Type == DetectionTypes.ReconChain);
    }

    [Fact]
    public void Remembered_ports_stay_bounded()
    {
        var options = new ReconChainOptions { MaxTrackedPorts = 16, MaxRespondersPerPort = 4 };
        var chains = new ReconChainDetector(options, AlertSubject.Workload("w"));
        for (var port = 1; port < 5_000; port++)
        {
            chains.Observe(Failed(T0 + port, Internal(port), port));
            for (var h = 0; h < 10; h++) chains.Observe(Established(T0 + port, Internal(h), port));
        }

        Assert.Equal(16, chains.TrackedPorts);
    }

    [Fact]
    public void Bad_chain_settings_name_their_keys()
    {
        var failures = new ReconChainOptionsValidator().Validate(null, new ReconChainOptions { FollowUpWindow = TimeSpan.Zero, MaxTrackedPorts = 0 }).Failures!.ToList();
        Assert.Contains("Detection:ReconChain:FollowUpWindow must be positive", failures);
        Assert.Contains("Detection:ReconChain:MaxTrackedPorts must be between 1 and 65536", failures);
    }
}

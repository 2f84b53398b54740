using OrleansDetect.Detection;
using OrleansDetect.Grains.Alerts;
using static OrleansDetect.Tests.Detection.Flows;

namespace OrleansDetect.Tests.Detection;

/// <summary>The idle-expiry tracker beside the windows: probes too spread out for 5/10-min windows still add up.</summary>
public class SlowProbeTrackerTests
{
    private const long Minute = 60_000;

    private static TestWorkload Everything(SlowProbeOptions? slow = null) =>
        new(new DetectionSettings { Slow = slow ?? new SlowProbeOptions() });

    private static List<Finding> CollectAll(TestWorkload workload, Action<int> step, int steps)
    {
        var all = new List<Finding>();
        for (var i = 0; i < steps; i++)
        {
            step(i);
            all.AddRange(workload.Collect());
        }

        return all;
    }

    [Fact]
    public void One_new_internal_host_a_minute_on_telnet_for_an_hour_is_a_slow_sweep()
    {
        // 60 hosts on tcp/23 at one a minute: 10 per 10-min window, under the lateral-movement threshold of 25.
        var workload = Everything();
        var findings = CollectAll(workload, i => workload.Observe(Failed(T0 + (i * Minute), Internal(i), 23)), 60);

        Assert.DoesNotContain(findings, f => f.Type == DetectionTypes.PortSweep);
        var slow = findings.Where(f => f.Type == DetectionTypes.SlowPortSweep).ToList();
        Assert.Equal(60 - 25 + 1, slow.Count); // the 25th host opens it; each new host updates it
        var first = slow[0];
        Assert.Equal(25, first.DistinctTargets);
        Assert.Equal(Severity.Medium, first.Severity);
        Assert.Equal(23, first.Key.Port);
        Assert.Equal(Scopes.Internal, first.Key.Scope);
        Assert.Equal(T0, first.WindowStartMs);
        Assert.Equal(T0 + (24 * Minute), first.WindowEndMs);
        Assert.Equal(25, first.Threshold);
        Assert.Equal("lateral-movement port threshold 25, slow: set open while a new target arrived within 15 min", first.ThresholdReason);
        Assert.Equal(["T1046", "T1018"], first.Mitre);
        Assert.Equal(60, slow[^1].DistinctTargets);
        Assert.All(slow, f => Assert.Equal(first.Key, f.Key));
    }

    [Fact]
    public void Twenty_four_slow_targets_stay_below_the_threshold()
    {
        var workload = Everything();
        var findings = CollectAll(workload, i => workload.Observe(Failed(T0 + (i * Minute), Internal(i), 23)), 24);
        Assert.Empty(findings);
    }

    [Fact]
    public void A_gap_longer_than_the_idle_timeout_closes_the_set()
    {
        // 20 hosts a minute apart, 16 min without a new one, 20 more: no set ever holds 25.
        var workload = Everything();
        var findings = CollectAll(workload, i =>
        {
            var at = T0 + (i * Minute) + (i >= 20 ? 15 * Minute : 0);
            workload.Observe(Failed(at, Internal(i), 23));
        }, 40);
        Assert.Empty(findings);

        // A gap just inside the timeout keeps it open: the 25th host alerts.
        var open = Everything();
        var kept = CollectAll(open, i =>
        {
            var at = T0 + (i * Minute) + (i >= 20 ? 13 * Minute : 0);
            open.Observe(Failed(at, Internal(i), 23));
        }, 25);
        Assert.Equal(25, Assert.Single(kept).DistinctTargets);
    }

    [Fact]
    public void Repeat_probes_of_known_targets_do_not_keep_a_set_open()
    {
        // 20 hosts, then 20 min of retries to the same hosts, then 5 new: the retries add no new target, so the set
        // went idle 15 min after the 20th host and the 5 new ones start a set of their own.
        var workload = Everything();
        var findings = CollectAll(workload, i =>
        {
            if (i < 20) workload.Observe(Failed(T0 + (i * Minute), Internal(i), 23));
            else if (i < 40) workload.Observe(Failed(T0 + (i * Minute), Internal(i % 20), 23));
            else workload.Observe(Failed(T0 + (i * Minute), Internal(i - 20), 23));
        }, 45);
        Assert.Empty(findings);
    }

    [Fact]
    public void Six_health_checked_hosts_failing_half_the_time_never_alert()
    {
        // A monitor checks 6 internal hosts on 3 ports every 20 s for an hour; every other check fails.
        var workload = Everything();
        var ports = new[] { 22, 443, 9100 };
        var findings = CollectAll(workload, round =>
        {
            var at = T0 + (round * 20_000L);
            for (var host = 0; host < 6; host++)
            {
                foreach (var port in ports)
                {
                    var e = (round + host) % 2 == 0 ? Failed(at, Internal(host), port) : Established(at, Internal(host), port);
                    workload.Observe(e);
                }
            }
        }, 180);
        Assert.Empty(findings);
    }

    [Fact]
    public void A_fast_sweep_is_reported_by_the_windows_alone()
    {
        var workload = Everything();
        var findings = CollectAll(workload, i => workload.Observe(Failed(T0 + (i * 1_000L), Internal(i), 445)), 40);
        Assert.Contains(findings, f => f.Type == DetectionTypes.PortSweep);
        Assert.DoesNotContain(findings, f => f.Type == DetectionTypes.SlowPortSweep);
    }

    [Fact]
    public void Fifteen_ports_probed_two_minutes_apart_are_a_slow_scan_and_fourteen_are_not()
    {
        var target = NetAddress.Parse("10.9.9.9");
        var fourteen = Everything();
        Assert.Empty(CollectAll(fourteen, i => fourteen.Observe(Failed(T0 + (i * 2 * Minute), target, 1000 + i)), 14));

        var workload = Everything();
        var findings = CollectAll(workload, i => workload.Observe(Failed(T0 + (i * 2 * Minute), target, 1000 + i)), 15);
        var scan = Assert.Single(findings);
        Assert.Equal(DetectionTypes.SlowPortScan, scan.Type);
        Assert.Equal(target, scan.Key.Target);
        Assert.Equal(15, scan.DistinctTargets);
        Assert.Equal(T0, scan.WindowStartMs);
        Assert.Equal("Slow port scan: test-workload probed 15 tcp ports on 10.9.9.9 over 28 min", AlertText.Title(scan));
    }

    [Fact]
    public void Slow_titles_say_slow_and_how_long_the_set_was_open()
    {
        var workload = Everything();
        var findings = CollectAll(workload, i => workload.Observe(Failed(T0 + (i * Minute), Internal(i), 23)), 60);
        var last = findings[^1];
        Assert.Equal("Slow port sweep: test-workload probed tcp/23 on 60 internal addresses over 59 min", AlertText.Title(last));
        Assert.Equal(AlertText.Iso(T0 + (59 * Minute)), last.Evidence![SlowFindings.LastNewTargetKey]);
    }

    [Fact]
    public void Memory_stays_bounded_and_a_slow_sweep_survives_junk_on_thousands_of_ports()
    {
        var slow = new SlowProbeOptions { MaxTrackedTargets = 2_000, MaxTargetsPerSet = 500 };
        var workload = new TestWorkload(new DetectionSettings { Slow = slow, Scan = new PortScanOptions { Enabled = false } });
        var findings = new List<Finding>();
        for (var i = 0; i < 60; i++)
        {
            var at = T0 + (i * Minute);
            workload.Observe(Failed(at, Internal(i), 23));

            // Junk each minute: 200 public addresses, each on its own high port, never twice.
            for (var j = 0; j < 200; j++) workload.Observe(Failed(at + j, Public((i * 200) + j), 20_000 + (((i * 200) + j) % 40_000)));
            findings.AddRange(workload.Collect());
            Assert.True(workload.Detection.TrackedSlowEntries <= slow.MaxTrackedTargets);
        }

        var sweep = findings.Last(f => f.Type == DetectionTypes.SlowPortSweep);
        Assert.Equal(60, sweep.DistinctTargets);
    }

    [Fact]
    public void A_set_at_its_own_bound_says_at_least()
    {
        var slow = new SlowProbeOptions { MaxTargetsPerSet = 30 };
        var workload = Everything(slow);
        var findings = CollectAll(workload, i => workload.Observe(Failed(T0 + (i * Minute), Internal(i), 23)), 40);
        var last = findings[^1];
        Assert.Equal(30, last.DistinctTargets);
        Assert.True(last.Saturated);
        Assert.StartsWith("Slow port sweep: test-workload probed tcp/23 on at least 30 internal addresses", AlertText.Title(last));
    }

    [Fact]
    public void Off_means_windows_only()
    {
        var workload = Everything(new SlowProbeOptions { Enabled = false });
        Assert.Empty(CollectAll(workload, i => workload.Observe(Failed(T0 + (i * Minute), Internal(i), 23)), 60));
        Assert.Equal(0, workload.Detection.TrackedSlowEntries);
    }

    [Fact]
    public void Bad_slow_settings_name_their_keys()
    {
        var result = new SlowProbeOptionsValidator().Validate(null, new SlowProbeOptions { IdleTimeout = TimeSpan.Zero, MaxTrackedTargets = 10, MaxTargetsPerSet = 20 });
        var failures = result.Failures!.ToList();
        Assert.Contains("Detection:Slow:IdleTimeout must be positive", failures);
        Assert.Contains("Detection:Slow:MaxTargetsPerSet must not exceed MaxTrackedTargets", failures);
        Assert.True(new SlowProbeOptionsValidator().Validate(null, new SlowProbeOptions()).Succeeded);
    }
}

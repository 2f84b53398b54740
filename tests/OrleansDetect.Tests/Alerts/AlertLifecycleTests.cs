using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Alerts;

[Collection(ClusterCollection.Name)]
public sealed class AlertLifecycleTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    private Task<AlertRecord[]> AlertsFor(string workload, int count = 1, Func<AlertRecord[], bool>? and = null) =>
        Eventually.FeedAlerts(Grains, workload, count, and);

    [Fact]
    public async Task Batch_spanning_several_workloads_raises_exactly_one_alert_per_sweep()
    {
        var sweeper = Flows.UniqueWorkload("sweeper");
        var lateral = Flows.UniqueWorkload("lateral");
        var quiet = Flows.UniqueWorkload("quiet");
        var quietEvents = Enumerable.Range(0, 300)
            .Select(i => Flows.Established(Flows.T0.AddSeconds(i), "10.0.0.9", $"198.18.1.{i % 200 + 1}", 443))
            .Concat(Flows.PublicSweep(Flows.T0, 24, 23, src: "10.0.0.9")) // one short of the threshold
            .OrderBy(e => e.TimeMs)
            .ToArray();

        var result = await Grains.GetGrain<IIngestRouterGrain>(0).Ingest(
        [
            new WorkloadFlows(sweeper, Flows.PublicSweep(Flows.T0, 120, 22)),
            new WorkloadFlows(lateral, Flows.InternalSweep(Flows.T0, 40, 445)),
            new WorkloadFlows(quiet, quietEvents),
        ]);

        Assert.Equal(120 + 40 + quietEvents.Length, result.Accepted);
        var sweep = Assert.Single(await AlertsFor(sweeper));
        Assert.Equal(DetectionTypes.PortSweep, sweep.Type);
        Assert.Equal(Severity.High, sweep.Severity);
        Assert.Equal(22, sweep.Evidence.Key.Port);
        Assert.Equal(Scopes.Public, sweep.Evidence.Key.Scope);
        Assert.Equal(120, sweep.Evidence.DistinctTargets);
        Assert.Contains("T1595.001", sweep.Evidence.Mitre);

        var internalSweep = Assert.Single(await AlertsFor(lateral));
        Assert.Equal(Severity.Medium, internalSweep.Severity);
        Assert.Equal(Scopes.Internal, internalSweep.Evidence.Key.Scope);
        Assert.Equal(445, internalSweep.Evidence.Key.Port);
        Assert.Contains("T1018", internalSweep.Evidence.Mitre);

        Assert.Empty(await AlertsFor(quiet, count: 0));
    }

    [Fact]
    public async Task Repeated_sweep_within_suppression_interval_updates_the_open_alert()
    {
        var workload = Flows.UniqueWorkload("repeat");
        var host = Grains.GetGrain<IWorkloadGrain>(workload);

        await host.Ingest(Flows.PublicSweep(Flows.T0, 30, 22));
        var first = Assert.Single(await AlertsFor(workload));
        Assert.Equal(Severity.Medium, first.Severity);

        // The same sweep goes on over more targets ten minutes later: same alert, updated, escalated.
        await host.Ingest(Flows.PublicSweep(Flows.T0.AddMinutes(10), 110, 22, offset: 500));
        var updated = Assert.Single(await AlertsFor(workload, and: a => a[0].Version > first.Version));
        Assert.Equal(first.Id, updated.Id);
        Assert.Equal(Severity.High, updated.Severity);
        Assert.True(updated.Version > first.Version);
        Assert.True(updated.Updates >= 2);
        Assert.Equal(110, updated.Evidence.DistinctTargets);

        var fetched = await Grains.GetGrain<IAlertGrain>(AlertIds.GrainKey(updated.Fingerprint)).Get(updated.Id);
        Assert.Equal(updated.Version, fetched!.Version);
    }

    [Fact]
    public async Task Sweep_after_the_suppression_interval_opens_a_new_alert()
    {
        var workload = Flows.UniqueWorkload("lapsed");
        var host = Grains.GetGrain<IWorkloadGrain>(workload);

        await host.Ingest(Flows.PublicSweep(Flows.T0, 30, 22));
        await host.Ingest(Flows.PublicSweep(Flows.T0.AddHours(2), 30, 22, offset: 500));

        var alerts = await AlertsFor(workload, count: 2);
        Assert.Equal(2, alerts.Length);
        Assert.NotEqual(alerts[0].Id, alerts[1].Id);
        Assert.All(alerts, a => Assert.Equal(alerts[0].Fingerprint, a.Fingerprint));
        // Newest first; the ids share the key's grain and the newer one's number is larger.
        Assert.True(AlertIds.TryParse(alerts[0].Id, out var key, out var newer));
        Assert.True(AlertIds.TryParse(alerts[1].Id, out var sameKey, out var older));
        Assert.Equal(key, sameKey);
        Assert.True(newer > older, $"{alerts[0].Id} after {alerts[1].Id}");
    }

    [Fact]
    public async Task A_server_scanned_from_outside_is_not_blamed_for_the_scan()
    {
        var server = Flows.UniqueWorkload("server");
        // The server's own traffic, then internet background scanners probing it: 300 ports from 300 sources.
        var own = Enumerable.Range(0, 20).Select(i => Flows.Established(Flows.T0.AddSeconds(i), "10.0.0.5", "10.1.0.1", 5432));
        var scanned = Enumerable.Range(0, 300).Select(i => Flows.Failed(Flows.T0.AddSeconds(20 + i), $"198.18.{i / 250}.{i % 250 + 1}", "10.0.0.5", 1 + i));
        var result = await Grains.GetGrain<IWorkloadGrain>(server).Ingest([.. own, .. scanned]);

        Assert.Equal(0, result.Alerts);
        Assert.Empty(await AlertsFor(server, count: 0));
        var view = await Grains.GetGrain<IWorkloadGrain>(server).GetView();
        Assert.True(view.InboundEvents >= 290);
    }
}

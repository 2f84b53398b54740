using Orleans.Runtime;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Fleet;

/// <summary>Cross-workload detection through the aggregators and fleet grains of the two-silo test cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class FleetClusterTests(ClusterFixture fixture)
{
    /// <summary>Fresh workloads, activated, until <paramref name="count"/> of them span both silos.</summary>
    private async Task<string[]> WorkloadsOnBothSilos(string prefix, int count)
    {
        var management = fixture.Grains.GetGrain<IManagementGrain>(0);
        var bySilo = new Dictionary<SiloAddress, List<string>>();
        for (var attempt = 0; attempt < 400 && (bySilo.Count < 2 || bySilo.Values.Sum(l => l.Count) < count); attempt++)
        {
            var name = Flows.UniqueWorkload(prefix);
            var grain = fixture.Grains.GetGrain<IWorkloadGrain>(name);
            await grain.GetView();
            var silo = (await management.GetActivationAddress(grain))!;
            if (!bySilo.TryGetValue(silo, out var list)) bySilo[silo] = list = [];
            if (bySilo.Count < 2 && list.Count >= count - 1) continue; // keep room for the other silo
            list.Add(name);
        }

        Assert.True(bySilo.Count == 2, $"placement put every workload on one silo: {string.Join(", ", bySilo.Select(p => $"{p.Key}: {p.Value.Count}"))}");
        return [.. bySilo.Values.SelectMany(l => l).Take(count)];
    }

    [Fact]
    public async Task Three_workloads_on_both_silos_sweeping_tcp_6379_raise_exactly_one_fleet_alert()
    {
        var workloads = await WorkloadsOnBothSilos("fleet", 3);
        for (var i = 0; i < workloads.Length; i++)
        {
            var sweep = Flows.PublicSweep(Flows.T0.AddSeconds(i * 20), 30, 6379, offset: i * 40);
            await fixture.Grains.GetGrain<IWorkloadGrain>(workloads[i]).Ingest(sweep);
        }

        var key = new AlertKey { Subject = AlertSubject.Fleet("tcp/6379"), Type = DetectionTypes.FleetSweep, Protocol = FlowProtocol.Tcp, Port = 6379 };
        var fleet = fixture.Grains.GetGrain<IAlertGrain>(AlertIds.GrainKey(key));
        var alert = await Eventually.Until(fleet.GetCurrent, a => a is { Evidence.DistinctTargets: 3 });
        Assert.NotNull(alert);
        Assert.StartsWith("Fleet-wide sweep: 3 workloads probed tcp/6379: ", alert.Title);
        Assert.Equal(workloads.Order(StringComparer.Ordinal), alert.Evidence.SampleTargets);

        // It links each workload's own sweep alert by id.
        var own = await Task.WhenAll(workloads.Select(w => fixture.Grains.GetGrain<IAlertGrain>(AlertIds.GrainKey(new AlertKey
        {
            Subject = AlertSubject.Workload(w), Type = DetectionTypes.PortSweep, Protocol = FlowProtocol.Tcp, Port = 6379, Scope = Scopes.Public,
        })).GetCurrent()));
        Assert.Equal(own.Select(a => a!.Id).Order(), alert.Evidence.RelatedAlertIds!.Order());

        var feed = await Eventually.FeedAlerts(fixture.Grains, "tcp/6379");
        Assert.Single(feed, a => a.Type == DetectionTypes.FleetSweep);
    }

    [Fact]
    public async Task Five_workloads_probing_three_ports_each_of_one_host_raise_a_distributed_scan()
    {
        var workloads = await WorkloadsOnBothSilos("dscan", 5);
        const string victim = "10.201.0.9";
        for (var w = 0; w < workloads.Length; w++)
        {
            var probes = Enumerable.Range(0, 3).Select(p => Flows.Failed(Flows.T0.AddSeconds((w * 10) + p), "10.0.0.5", victim, 2000 + (w * 3) + p)).ToArray();
            var result = await fixture.Grains.GetGrain<IWorkloadGrain>(workloads[w]).Ingest(probes);
            Assert.Equal(0, result.Alerts); // three ports are nothing on their own
        }

        var key = new AlertKey { Subject = AlertSubject.Fleet(victim), Type = DetectionTypes.DistributedScan, Protocol = FlowProtocol.Tcp, Target = NetAddress.Parse(victim) };
        var alert = await Eventually.Until(fixture.Grains.GetGrain<IAlertGrain>(AlertIds.GrainKey(key)).GetCurrent, a => a is not null);
        Assert.NotNull(alert);
        Assert.Equal($"Distributed scan: 5 workloads probed 15 tcp ports on {victim}", alert.Title);
        Assert.Equal(string.Join(", ", workloads.Order(StringComparer.Ordinal)), alert.Evidence.Evidence![OrleansDetect.Detection.FleetEvidence.Workloads]);
    }
}

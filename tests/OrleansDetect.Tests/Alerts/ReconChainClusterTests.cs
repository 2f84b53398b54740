using OrleansDetect.Tests.Infrastructure;
using OrleansDetect.Grains.Alerts;

namespace OrleansDetect.Tests.Alerts;

/// <summary>A sweep, then a scan of a host that answered it, through the workload and alert grains of a cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ReconChainClusterTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_sweep_then_scan_raises_one_chain_alert_that_names_both_alerts_by_id()
    {
        var workload = Flows.UniqueWorkload("chain");
        var host = fixture.Grains.GetGrain<IWorkloadGrain>(workload);
        var sweep = Flows.InternalSweep(Flows.T0, 40, 445);
        sweep[5] = sweep[5] with { State = FlowState.Established };
        await host.Ingest(sweep);

        var live = sweep[5].Dst.ToString();
        var scan = Enumerable.Range(1, 20).Select(p => Flows.Failed(Flows.T0.AddMinutes(5).AddSeconds(p), "10.0.0.5", live, p)).ToArray();
        var result = await host.Ingest(scan);
        Assert.Equal(2, result.Alerts); // the scan and the chain

        var sweepKey = new AlertKey { Subject = AlertSubject.Workload(workload), Type = DetectionTypes.PortSweep, Protocol = FlowProtocol.Tcp, Port = 445, Scope = Scopes.Internal };
        var scanKey = new AlertKey { Subject = AlertSubject.Workload(workload), Type = DetectionTypes.PortScan, Protocol = FlowProtocol.Tcp, Target = NetAddress.Parse(live) };
        var chainKey = new AlertKey { Subject = AlertSubject.Workload(workload), Type = DetectionTypes.ReconChain, Protocol = FlowProtocol.Tcp, Port = 445, Scope = Scopes.Internal };
        var sweepAlert = await fixture.Grains.GetGrain<IAlertGrain>(AlertIds.GrainKey(sweepKey)).GetCurrent();
        var scanAlert = await fixture.Grains.GetGrain<IAlertGrain>(AlertIds.GrainKey(scanKey)).GetCurrent();
        var chain = await fixture.Grains.GetGrain<IAlertGrain>(AlertIds.GrainKey(chainKey)).GetCurrent();

        Assert.NotNull(sweepAlert);
        Assert.NotNull(scanAlert);
        Assert.NotNull(chain);
        Assert.Equal(Severity.High, chain.Severity);
        Assert.Equal($"Sweep followed by scan: {workload} swept tcp/445 (internal), then scanned 1 host that answered it: {live}", chain.Title);
        Assert.Equal([sweepAlert.Id, scanAlert.Id], chain.Evidence.RelatedAlertIds!);
        var related = AlertText.Facts(chain).Single(f => f.Name == "Related alerts").Value;
        Assert.Equal($"{sweepAlert.Id}, {scanAlert.Id}", related);
    }
}

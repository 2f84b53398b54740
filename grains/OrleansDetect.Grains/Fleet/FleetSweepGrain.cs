using OrleansDetect.Detection;
using OrleansDetect.Grains.Alerts;

namespace OrleansDetect.Grains.Fleet;

/// <summary>
/// One (protocol, port) across the fleet: a shell around its <see cref="FleetSweepWindow"/>. Memory only: a lost
/// activation forgets at most one window of contributions (the workloads' own sweep alerts stay).
/// </summary>
public sealed class FleetSweepGrain(DetectionSettings settings, TimeProvider time) : Grain, IFleetSweepGrain
{
    private FleetSweepWindow _window = null!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/');
        var protocol = key[..slash] switch { "udp" => FlowProtocol.Udp, "icmp" => FlowProtocol.Icmp, _ => FlowProtocol.Tcp };
        _window = new FleetSweepWindow(settings.Fleet, protocol, int.Parse(key[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        return Task.CompletedTask;
    }

    public async Task Add(FleetSignalBatch<SweepSignal> batch)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < batch.Signals.Length; i++)
        {
            var w = batch.WorkloadIndex[i];
            _window.Add(batch.Workloads[w], batch.WatermarksMs[w], batch.Signals[i], now);
        }

        if (_window.Judge(now) is { } finding) await RelatedAlerts.ReportAll(GrainFactory, [finding]);
    }
}

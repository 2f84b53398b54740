using OrleansDetect.Detection;
using OrleansDetect.Grains.Alerts;

namespace OrleansDetect.Grains.Fleet;

/// <summary>
/// One bucket of destination addresses: a shell around its <see cref="DistributedScanWindow"/>. Memory only: a lost
/// activation forgets at most one scan window of probes.
/// </summary>
public sealed class DistributedScanGrain(DetectionSettings settings, TimeProvider time) : Grain, IDistributedScanGrain
{
    private readonly DistributedScanWindow _window = new(settings.Fleet);
    private readonly List<Finding> _findings = [];

    public async Task Add(FleetSignalBatch<ProbeSignal> batch)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < batch.Signals.Length; i++)
        {
            var w = batch.WorkloadIndex[i];
            _window.Add(batch.Workloads[w], batch.WatermarksMs[w], batch.Signals[i], now);
        }

        _findings.Clear();
        _window.Judge(now, _findings);
        if (_findings.Count > 0) await RelatedAlerts.ReportAll(GrainFactory, [.. _findings]);
    }
}

namespace OrleansDetect;

/// <summary>
/// The per-silo aggregator of recon signals (a stateless worker, one per silo): workload grains hand it their sweep
/// findings and failed probes; about once a second it flushes them, grouped, to the fleet grains partitioned by port
/// (<see cref="IFleetSweepGrain"/>) and by destination bucket (<see cref="IDistributedScanGrain"/>).
/// </summary>
public interface IReconSignalGrain : IGrainWithIntegerKey
{
    /// <summary>Queues one workload batch's signals; never waits for the fleet grains.</summary>
    [Orleans.Concurrency.OneWay]
    Task Send(ReconSignals signals);

    /// <summary>
    /// Makes sure the silo's aggregator is active: the workload grains leave their signals in the silo's inbox in memory
    /// and call this only when the inbox was empty, so the next flush finds them.
    /// </summary>
    [Orleans.Concurrency.OneWay]
    Task Wake();

    /// <summary>Flushes what is queued now (tests, shutdown); completes when the fleet grains took it.</summary>
    Task Flush();
}

/// <summary>One (protocol, port) across the fleet (key "tcp/445"): how many workloads swept it within a window.</summary>
public interface IFleetSweepGrain : IGrainWithStringKey
{
    /// <summary>Adds workloads' sweep findings of this port; reports a fleet-wide sweep when enough workloads swept it.</summary>
    Task Add(FleetSignalBatch<SweepSignal> batch);
}

/// <summary>One bucket of destination addresses (key "0"…): how many workloads probed which ports of each destination.</summary>
public interface IDistributedScanGrain : IGrainWithStringKey
{
    /// <summary>Adds workloads' failed probes of destinations in this bucket; reports distributed scans.</summary>
    Task Add(FleetSignalBatch<ProbeSignal> batch);
}

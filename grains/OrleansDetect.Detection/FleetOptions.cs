using Microsoft.Extensions.Options;

namespace OrleansDetect.Detection;

/// <summary>
/// Cross-workload recon (<c>Detection:Fleet:*</c>): fleet-wide sweeps (many workloads sweeping one port) and
/// distributed scans (many workloads probing a few ports each of one destination), fed by compact signals.
/// </summary>
public sealed class FleetOptions
{
    public const string SectionName = "Detection:Fleet";

    public bool Enabled { get; set; } = true;

    /// <summary>Workloads sweeping the same protocol/port within <see cref="SweepWindow"/> that make a fleet-wide sweep.</summary>
    public int SweepWorkloads { get; set; } = 3;

    /// <summary>A fleet-wide sweep is high from this many workloads (or when any contributing sweep is high).</summary>
    public int SweepHighWorkloads { get; set; } = 10;

    public TimeSpan SweepWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Workloads probing one destination that make a distributed scan (with <see cref="ScanPorts"/> ports between them).</summary>
    public int ScanWorkloads { get; set; } = 5;

    /// <summary>Distinct failed ports of one destination, across workloads, that make a distributed scan (as a port scan: 15).</summary>
    public int ScanPorts { get; set; } = 15;

    public TimeSpan ScanWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Wall-clock time after which a contribution leaves a fleet window although the slowest contributing workload's
    /// clock has not passed it (a workload that went quiet must not hold a window open).
    /// </summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often each silo's aggregator flushes signals to the fleet grains.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Destination-address buckets (distributed-scan grains).</summary>
    public int ScanBuckets { get; set; } = 256;

    /// <summary>Distinct failed probes one workload batch forwards; beyond, the batch is a scanner on its own and its local detectors say so.</summary>
    public int MaxProbesPerBatch { get; set; } = 256;

    /// <summary>
    /// How often a workload tells the fleet again of a (destination, port) it keeps failing against (event time): in
    /// between, repeats add nothing a <see cref="ScanWindow"/> of minutes would notice, and would flood the aggregator
    /// (a busy workload repeats its failures in every batch). At most a tenth of <see cref="ScanWindow"/>.
    /// </summary>
    public TimeSpan ProbeRefresh { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Signals one silo's aggregator holds between flushes; beyond, new signals are dropped and counted.</summary>
    public int MaxBufferedSignals { get; set; } = 100_000;

    /// <summary>Workloads one port's fleet window holds.</summary>
    public int MaxWorkloadsPerPort { get; set; } = 1_000;

    /// <summary>(destination, workload, port) entries one distributed-scan bucket holds.</summary>
    public int MaxProbesPerBucket { get; set; } = 50_000;
}

public sealed class FleetOptionsValidator : IValidateOptions<FleetOptions>
{
    public ValidateOptionsResult Validate(string? name, FleetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(FleetOptions.SectionName);
        check.InRange(options.SweepWorkloads, 2, 100_000, nameof(options.SweepWorkloads));
        check.AtLeast(options.SweepHighWorkloads, options.SweepWorkloads, nameof(options.SweepHighWorkloads), nameof(options.SweepWorkloads));
        check.Positive(options.SweepWindow, nameof(options.SweepWindow));
        check.InRange(options.ScanWorkloads, 2, 100_000, nameof(options.ScanWorkloads));
        check.Positive(options.ScanPorts, nameof(options.ScanPorts));
        check.Positive(options.ScanWindow, nameof(options.ScanWindow));
        check.NotNegative(options.Grace, nameof(options.Grace));
        check.InRange(options.FlushInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1), nameof(options.FlushInterval));
        check.InRange(options.ScanBuckets, 1, 65_536, nameof(options.ScanBuckets));
        check.Positive(options.MaxProbesPerBatch, nameof(options.MaxProbesPerBatch));
        check.Positive(options.MaxBufferedSignals, nameof(options.MaxBufferedSignals));
        check.NotNegative(options.ProbeRefresh, nameof(options.ProbeRefresh));
        if (options.ProbeRefresh > options.ScanWindow / 10) check.Fail($"{nameof(options.ProbeRefresh)} must be at most a tenth of {nameof(options.ScanWindow)} ({options.ScanWindow / 10}); was {options.ProbeRefresh}");
        check.AtLeast(options.MaxWorkloadsPerPort, options.SweepHighWorkloads, nameof(options.MaxWorkloadsPerPort), nameof(options.SweepHighWorkloads));
        check.AtLeast(options.MaxProbesPerBucket, options.ScanPorts, nameof(options.MaxProbesPerBucket), nameof(options.ScanPorts));
        return check.Result;
    }
}

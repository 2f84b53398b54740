using OrleansDetect;
using OrleansDetect.Detection;

namespace OrleansDetect.Benchmarks;

/// <summary>
/// <c>dotnet tests/OrleansDetect.Benchmarks/bin/Release/net10.0/OrleansDetect.Benchmarks.dll recon-memory</c>: managed
/// bytes one workload's detection holds under a full-range scan (65,535 ports of one host) and with the slow tracker
/// full (its bound of distinct slow targets, spread over ports too thin for the windows).
/// </summary>
public static class ReconMemory
{
    private const long StartMs = 1_795_841_277_000;

    public static void Run(int workloads = 20)
    {
        var settings = new DetectionSettings();
        Measure("full-range scan (65,535 ports of one host in 60 s)", workloads, settings, FullRangeScan);
        Measure($"slow tracker full ({settings.Slow.MaxTrackedTargets:N0} slow sweep targets over 2 h)", workloads, settings, SlowTrackerFull);
    }

    private static void Measure(string what, int workloads, DetectionSettings settings, Action<WorkloadDetection, List<Finding>> feed)
    {
        var held = new WorkloadDetection[workloads];
        var findings = new List<Finding>();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var w = 0; w < workloads; w++)
        {
            held[w] = new WorkloadDetection($"workload-{w}", settings);
            feed(held[w], findings);
            findings.Clear();
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"{what}: {(after - before) / (double)workloads / 1024:N0} KiB per workload; {held[0].TrackedWindowEntries:N0} window entries, {held[0].TrackedSlowEntries:N0} slow entries");
        GC.KeepAlive(held);
    }

    private static void FullRangeScan(WorkloadDetection workload, List<Finding> findings)
    {
        var self = NetAddress.FromV4(10, 0, 0, 1);
        var target = NetAddress.FromV4(10, 9, 9, 9);
        var batch = new FlowEvent[1_000];
        for (var start = 1; start <= 65_535; start += batch.Length)
        {
            var count = Math.Min(batch.Length, 65_536 - start);
            for (var i = 0; i < count; i++)
            {
                var port = start + i;
                batch[i] = new FlowEvent(StartMs + (port * 60_000L / 65_535), self, 50_000, target, (ushort)port, FlowProtocol.Tcp, FlowState.Attempted, 60, 1);
            }

            workload.Observe(batch.AsSpan(0, count), long.MaxValue);
            workload.Collect(findings);
            workload.TakeSignals();
        }
    }

    private static void SlowTrackerFull(WorkloadDetection workload, List<Finding> findings)
    {
        // One new public destination per port every 7 min on 2,000 ports: under every window, all inside the idle timeout.
        var self = NetAddress.FromV4(10, 0, 0, 1);
        var limit = new SlowProbeOptions().MaxTrackedTargets;
        var rounds = (limit / 2_000) + 1;
        var batch = new FlowEvent[2_000];
        for (var round = 0; round < rounds; round++)
        {
            for (var p = 0; p < batch.Length; p++)
            {
                var dst = NetAddress.FromV4(0x2D00_0000u + (uint)((round * batch.Length) + p));
                batch[p] = new FlowEvent(StartMs + (round * 7 * 60_000L) + p, self, 50_000, dst, (ushort)(20_000 + p), FlowProtocol.Tcp, FlowState.Attempted, 60, 1);
            }

            workload.Observe(batch, long.MaxValue);
            workload.Collect(findings);
            workload.TakeSignals();
        }
    }
}

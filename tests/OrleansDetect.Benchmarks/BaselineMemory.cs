using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using OrleansDetect;
using OrleansDetect.Detection;
using OrleansDetect.Grains.Workloads;

namespace OrleansDetect.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/OrleansDetect.Benchmarks -- baseline-memory</c>: managed bytes per
/// learned workload (what one WorkloadGrain holds besides Orleans' own activation: sweep, scan and encrypted-DNS
/// detectors and the baseline), for 100,000 workloads in one process; the stored baseline's size; and how many
/// baseline writes a steadily active workload causes.
/// </summary>
public static class BaselineMemory
{
    private const long WindowMs = 5 * 60_000;
    private const long StartMs = 1_795_841_277_000;

    public static void Run(int workloads = 100_000)
    {
        var settings = new DetectionSettings();
        var held = new WorkloadDetection[workloads];

        var before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        for (var w = 0; w < workloads; w++)
        {
            held[w] = new WorkloadDetection($"workload-{w}", settings);
            Learn(w, held[w]);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"{workloads:N0} learned workloads in {clock.Elapsed.TotalSeconds:0.0} s: {(after - before) / (double)workloads:N0} bytes each (detectors + baseline + live windows)");

        var sample = held[0].Baseline;
        Console.WriteLine($"  each: {sample.ResolverCount} resolvers, {sample.TrackedPorts} tracked ports, {sample.ActiveWindows} active windows, learned={sample.IsLearned}");

        var serializer = new ServiceCollection().AddSerializer(s => s.AddAssembly(typeof(BaselineState).Assembly)).BuildServiceProvider().GetRequiredService<Serializer>();
        var stored = serializer.SerializeToArray(BaselineState.From(held[0].Export()));
        Console.WriteLine($"  stored baseline (Orleans binary serializer): {stored.Length:N0} bytes");

        GC.KeepAlive(held);
        MeasureWriteRate();
    }

    /// <summary>
    /// 25 h of event time: an event every 10 s (DoT every 2 min to two Cloudflare addresses, a failed attempt every 6 min
    /// on one of three ports), so the baseline learns resolvers, volumes and fan-out, and the sweep windows hold live entries.
    /// </summary>
    private static void Learn(int w, WorkloadDetection workload)
    {
        var self = NetAddress.FromV4(10, 0, (byte)(w >> 8), (byte)w);
        var end = StartMs + 25 * 3_600_000L;
        var i = 0;
        for (var t = StartMs + (w % 10_000); t < end; t += 10_000, i++)
        {
            var e = (i % 36) switch
            {
                0 or 12 or 24 => Flow(t, self, NetAddress.Parse(i % 72 == 0 ? "1.1.1.1" : "1.0.0.1"), 853, FlowState.Established),
                1 => Flow(t, self, NetAddress.FromV4(10, 9, (byte)(i % 7), (byte)(i % 200)), (ushort)(8080 + (i / 36 % 3)), FlowState.Attempted),
                _ => Flow(t, self, NetAddress.FromV4(10, 1, 0, (byte)(i % 20)), 5432, FlowState.Established),
            };
            workload.Observe([e], long.MaxValue);
        }
    }

    /// <summary>The grain writes when the baseline changed since the last write, checked every WriteInterval (30 s).</summary>
    private static void MeasureWriteRate()
    {
        const int workloads = 1_000;
        var hours = 4;
        var settings = new DetectionSettings();
        var detections = new WorkloadDetection[workloads];
        var written = new long[workloads];
        for (var w = 0; w < workloads; w++)
        {
            detections[w] = new WorkloadDetection($"workload-{w}", settings);
        }

        long writes = 0;
        var self = NetAddress.FromV4(10, 0, 0, 1);
        for (var tick = StartMs; tick < StartMs + hours * 3_600_000L; tick += 30_000)
        {
            for (var w = 0; w < workloads; w++)
            {
                // Three events per 30 s per workload, one of them DoT.
                for (var k = 0; k < 3; k++)
                {
                    var t = tick + k * 10_000;
                    var e = k == 0 ? Flow(t, self, NetAddress.Parse("1.1.1.1"), 853, FlowState.Established) : Flow(t, self, NetAddress.FromV4(10, 1, 0, 7), 5432, FlowState.Established);
                    detections[w].Observe([e], long.MaxValue);
                }

                if (detections[w].Changes != written[w])
                {
                    written[w] = detections[w].Changes;
                    writes++;
                }
            }
        }

        var perWorkloadHour = writes / (double)workloads / hours;
        Console.WriteLine($"baseline writes: {perWorkloadHour:0.0} per active workload per hour (window {new BaselineOptions().Window.TotalMinutes} min, write interval 30 s) " +
                          $"→ {perWorkloadHour * 100_000 / 3600:N0} writes/s for 100,000 active workloads");
    }

    private static FlowEvent Flow(long timeMs, NetAddress src, NetAddress dst, ushort port, FlowState state) =>
        new(timeMs, src, 50_000, dst, port, FlowProtocol.Tcp, state, 3_000, 10);
}

using OrleansDetect.Detection;

namespace OrleansDetect.Tests.Detection;

/// <summary>Builds flow events for detector tests, all from one workload address.</summary>
internal static class Flows
{
    /// <summary>2026-11-28T04:47:57Z, the DESIGN.md example time.</summary>
    public const long T0 = 1_795_841_277_000;

    public static readonly NetAddress Workload = NetAddress.Parse("10.1.2.3");

    public static FlowEvent Failed(long timeMs, NetAddress dst, int port, FlowProtocol protocol = FlowProtocol.Tcp) =>
        new(timeMs, Workload, 51234, dst, (ushort)port, protocol, FlowState.Attempted, 60, 1);

    public static FlowEvent Established(long timeMs, NetAddress dst, int port) =>
        new(timeMs, Workload, 51234, dst, (ushort)port, FlowProtocol.Tcp, FlowState.Established, 4000, 12);

    /// <summary>The i-th address of a public /8 (documentation-adjacent, but public per DESIGN.md).</summary>
    public static NetAddress Public(int i) => NetAddress.FromV4(0x2D00_0000u + (uint)i);

    /// <summary>The i-th address of 10.0.0.0/8.</summary>
    public static NetAddress Internal(int i) => NetAddress.FromV4(0x0A00_0000u + (uint)i + 1);

    /// <summary>Feeds one failed attempt per destination, one second apart, starting at <paramref name="startMs"/>.</summary>
    public static void Sweep(TestWorkload workload, int targets, int port, Func<int, NetAddress> address, long startMs = T0, long stepMs = 1_000)
    {
        for (var i = 0; i < targets; i++)
        {
            Assert.True(workload.Observe(Failed(startMs + (i * stepMs), address(i), port)));
        }
    }

    public static List<Finding> Collect(TestWorkload workload) => workload.Collect();
}

/// <summary>A <see cref="WorkloadDetection"/> fed one event at a time, as detector tests read best.</summary>
internal sealed class TestWorkload(DetectionSettings settings, string name = "test-workload")
{
    public WorkloadDetection Detection { get; } = new(name, settings);

    public WorkloadBaseline Baseline => Detection.Baseline;

    public long LateEvents => Detection.View().LateEvents;

    public int TrackedEntries => Detection.TrackedWindowEntries;

    /// <summary>Port sweeps alone (scans off), so memory bounds and findings are the sweep detector's.</summary>
    public static TestWorkload Sweeps(PortSweepOptions? options = null) =>
        new(new DetectionSettings { Sweep = options ?? new PortSweepOptions(), Scan = new PortScanOptions { Enabled = false } });

    /// <summary>Port scans alone (sweeps off).</summary>
    public static TestWorkload Scans(PortScanOptions? options = null) =>
        new(new DetectionSettings { Scan = options ?? new PortScanOptions(), Sweep = new PortSweepOptions { Enabled = false } });

    /// <summary>False when the event was rejected as late (or from the future).</summary>
    public bool Observe(FlowEvent e)
    {
        var outcome = Detection.Observe([e], long.MaxValue);
        return outcome.Late == 0 && outcome.Future == 0;
    }

    public List<Finding> Collect()
    {
        var findings = new List<Finding>();
        Detection.Collect(findings);
        return findings;
    }
}

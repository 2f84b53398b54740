using OrleansDetect.Detectors;

namespace OrleansDetect.Tests.DetectionLogic;

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
    public static void Sweep(PortSweepDetector detector, int targets, int port, Func<int, NetAddress> address, long startMs = T0, long stepMs = 1_000)
    {
        for (var i = 0; i < targets; i++)
        {
            Assert.True(detector.Observe(Failed(startMs + (i * stepMs), address(i), port)));
        }
    }

    public static List<SweepFinding> Collect(PortSweepDetector detector)
    {
        var findings = new List<SweepFinding>();
        detector.Collect(findings);
        return findings;
    }

    public static List<ScanFinding> Collect(PortScanDetector detector)
    {
        var findings = new List<ScanFinding>();
        detector.Collect(findings);
        return findings;
    }
}

using System.Reflection;
using Orleans.Configuration;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Tests.Hosting;

/// <summary>
/// The distributed grain directory's dead-silo lease (Orleans-internal arithmetic, checked here so an Orleans upgrade
/// that changes it fails a test instead of silently stalling failover again).
/// </summary>
public sealed class DeadSiloLeaseTests
{
    // internal static TimeSpan DistributedGrainDirectory.CalculateDeadSiloLeaseDuration(TimeSpan, ClusterMembershipOptions)
    private static TimeSpan OrleansDeadSiloLease(TimeSpan rangeLeaseDuration, ClusterMembershipOptions membership)
    {
        var type = typeof(GrainDirectoryOptions).Assembly.GetType("Orleans.Runtime.GrainDirectory.DistributedGrainDirectory", throwOnError: true)!;
        var method = type.GetMethod("CalculateDeadSiloLeaseDuration", BindingFlags.NonPublic | BindingFlags.Static)
                     ?? throw new MissingMethodException(type.FullName, "CalculateDeadSiloLeaseDuration");
        return (TimeSpan)method.Invoke(null, [rangeLeaseDuration, membership])!;
    }

    private static ClusterMembershipOptions Probes(int probeSeconds, int missed) =>
        new() { ProbeTimeout = TimeSpan.FromSeconds(probeSeconds), NumMissedProbesLimit = missed };

    [Fact]
    public void Orleans_default_lease_with_one_second_by_two_probes_is_22_s()
    {
        // The cause of the ~22 s failover stall: 30 s − MaxProbeTimeout (4 × 1 s) × 2.
        Assert.Equal(TimeSpan.FromSeconds(22), OrleansDeadSiloLease(GrainDirectoryOptions.DEFAULT_RANGE_LEASE_DURATION, Probes(1, 2)));
    }

    [Theory]
    [InlineData(1, 2, 0)]
    [InlineData(1, 2, 1000)]
    [InlineData(1, 2, 2000)]
    [InlineData(5, 3, 1000)]
    [InlineData(5, 3, 0)]
    public void The_configured_lease_is_the_lease_orleans_applies(int probeSeconds, int missed, int leaseMs)
    {
        var membership = Probes(probeSeconds, missed);
        var lease = TimeSpan.FromMilliseconds(leaseMs);
        Assert.Equal(lease, OrleansDeadSiloLease(SiloHostingExtensions.RangeLeaseDurationFor(lease, membership), membership));
    }
}

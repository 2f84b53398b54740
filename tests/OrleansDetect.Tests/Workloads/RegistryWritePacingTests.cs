using OrleansDetect.Grains.Workloads;

namespace OrleansDetect.Tests.Workloads;

/// <summary>
/// A registry bucket writes itself whole, so it writes less often as it grows: what a crash can forget stays at most
/// 15 s of registrations, and up to 960,000 workloads (15,000 a bucket) the entries serialized a second stay bounded.
/// </summary>
public sealed class RegistryWritePacingTests
{
    [Theory]
    [InlineData(0, 1000)]
    [InlineData(800, 1000)]
    [InlineData(4000, 4000)]
    [InlineData(15000, 15000)]
    [InlineData(1_000_000 / WorkloadRegistry.Buckets, 15000)]
    public void A_bucket_waits_a_millisecond_an_entry_between_writes_within_1_to_15_s(int entries, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), WorkloadRegistryGrain.WriteIntervalFor(entries));
    }

    [Fact]
    public void Up_to_960_000_workloads_the_buckets_serialize_at_most_64_000_entries_a_second()
    {
        foreach (var workloads in new[] { 1_000, 64_000, 640_000, 960_000 })
        {
            var perBucket = workloads / WorkloadRegistry.Buckets;
            var entriesPerSecond = WorkloadRegistry.Buckets * perBucket / WorkloadRegistryGrain.WriteIntervalFor(perBucket).TotalSeconds;
            Assert.True(entriesPerSecond <= WorkloadRegistry.Buckets * 1000, $"{workloads:N0} workloads: {entriesPerSecond:N0} entries/s");
        }
    }
}

using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansDetect.Detection;
using OrleansDetect.Grains.Workloads;

using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Workloads;

/// <summary>
/// An in-process silo with a one-hour learning period, 5-min baseline windows, one-second baseline writes and
/// a suppression rule, so baselines learn from a few dozen events.
/// </summary>
public sealed class BaselineClusterFixture() : ClusterFixture(1, new Dictionary<string, string?>
{
    ["Detection:Baseline:LearningPeriod"] = "01:00:00",
    ["Detection:Baseline:MinActiveWindows"] = "3",
    ["Detection:Baseline:WriteInterval"] = "00:00:01",
    ["Detection:Suppress:0:Workload"] = SuppressedPrefix + "*",
    ["Detection:Suppress:0:Type"] = DetectionTypes.PortSweep,
    ["Detection:Suppress:0:Port"] = "22",
    ["Detection:Suppress:0:Reason"] = "the vulnerability scanner",
})
{
    public const string SuppressedPrefix = "allowed-scanner-";
}

[CollectionDefinition(Name)]
public sealed class BaselineClusterCollection : ICollectionFixture<BaselineClusterFixture>
{
    public const string Name = "baseline-cluster";
}

[Collection(BaselineClusterCollection.Name)]
public sealed class BaselineClusterTests(BaselineClusterFixture fixture)
{
    private const long WindowMs = 5 * 60_000;

    [Fact]
    public async Task The_baseline_survives_deactivation_and_judges_new_resolvers_after_it()
    {
        var workload = Flows.UniqueWorkload("dot");
        var host = fixture.Grains.GetGrain<IWorkloadGrain>(workload);
        var end = await LearnDot(host);
        await host.Ingest([Flows.Failed(DateTimeOffset.FromUnixTimeMilliseconds(end), "10.0.0.5", "198.18.0.1", 8080)]);

        var before = await host.GetView();
        Assert.Equal("learned", before.Baseline!.Status);
        Assert.NotEmpty(before.SweepWindows);

        await host.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var after = await WaitForNewActivation(fixture.Grains.GetGrain<IManagementGrain>(0), host);

        // The windows were checkpointed on deactivation: the failed attempt still counts in the new activation.
        Assert.Equal(before.SweepWindows, after.SweepWindows);

        Assert.Equal("learned", after.Baseline!.Status);
        Assert.Equal(before.Baseline.LearnedAt, after.Baseline.LearnedAt);
        Assert.Equal(before.EventsSeen, after.EventsSeen);
        var resolver = Assert.Single(after.Baseline.Resolvers);
        Assert.Equal(("1.1.1.1", "dot", "Cloudflare", true), (resolver.Address, resolver.Protocol, resolver.KnownAs, resolver.InBaseline));
        Assert.Equal(before.Baseline.EncryptedDnsVolumes.Single().MeanConnections, after.Baseline.EncryptedDnsVolumes.Single().MeanConnections);

        // Still learned: the known resolver is quiet, an unknown one is high.
        var next = end + WindowMs;
        Assert.Equal(0, (await host.Ingest([Dot(next, "1.1.1.1")])).Alerts);
        Assert.Equal(1, (await host.Ingest([Dot(next + 1000, "198.51.100.53")])).Alerts);
        var alert = (await Eventually.FeedAlerts(fixture.Grains, workload)).Single();
        Assert.Equal(Severity.High, alert.Severity);
        Assert.Equal(DetectionTypes.UnusualEncryptedDns, alert.Type);
        Assert.Equal("Unusual DNS-over-TLS: " + workload + " → 198.51.100.53 (resolver not in baseline, not a known public resolver)", alert.Title);
        Assert.Equal(["T1071.004", "T1573.002", "T1572"], alert.Evidence.Mitre);
        Assert.Equal("1.1.1.1 (Cloudflare)", alert.Evidence.Evidence!["baseline resolvers"]);
    }

    [Fact]
    public async Task Suppressed_detections_are_counted_not_reported()
    {
        var suppressedType = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "OrleansDetect" && instrument.Name == "orleansdetect.detections.suppressed") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var byRule = false;
            string? type = null;
            foreach (var tag in tags)
            {
                if (tag is { Key: "reason", Value: "rule" }) byRule = true;
                if (tag.Key == "alert.type") type = (string?)tag.Value;
            }

            if (byRule && type is not null) lock (suppressedType) suppressedType.Add(type);
        });
        listener.Start();

        var scanner = Flows.UniqueWorkload(BaselineClusterFixture.SuppressedPrefix + "x");
        var host = fixture.Grains.GetGrain<IWorkloadGrain>(scanner);
        var start = DateTimeOffset.UtcNow.AddHours(-2);
        var result = await host.Ingest(Flows.PublicSweep(start, 120, 22));
        var other = await host.Ingest(Flows.PublicSweep(start.AddSeconds(200), 30, 23, offset: 1000));

        Assert.Equal(0, result.Alerts);
        Assert.Equal(1, other.Alerts); // the rule covers port 22 only
        var view = await host.GetView();
        Assert.True(view.SuppressedDetections >= 1);
        var counted = Assert.Single(view.SuppressedByRule);
        Assert.Equal((0, "the vulnerability scanner"), (counted.Rule, counted.Reason));
        var alerts = await fixture.Grains.GetGrain<IAlertFeedGrain>(IAlertFeedGrain.Key).GetRecent(500);
        Assert.DoesNotContain(alerts, a => a.Workload == scanner && a.Evidence.Key.Port == 22);
        lock (suppressedType) Assert.Contains(DetectionTypes.PortSweep, suppressedType);
    }

    [Fact]
    public async Task An_event_from_the_far_future_is_rejected_and_counted_without_moving_the_clock()
    {
        var workload = Flows.UniqueWorkload("jump");
        var host = fixture.Grains.GetGrain<IWorkloadGrain>(workload);
        var end = await LearnDot(host);
        var learned = (await host.GetView()).Baseline!;

        var result = await host.Ingest([Dot(DateTimeOffset.UtcNow.AddDays(365).ToUnixTimeMilliseconds(), "1.1.1.1")]);
        Assert.Equal((0, 1), (result.Accepted, result.Late));

        // The workload's clock did not move, so the next ordinary event is on time and the baseline intact.
        var next = await host.Ingest([Dot(end + 1000, "1.1.1.1")]);
        Assert.Equal((1, 0, 0), (next.Accepted, next.Late, next.Alerts));
        var view = await host.GetView();
        Assert.Equal(1, view.FutureEvents);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(end + 1000), view.LastEventTime);
        Assert.Equal(learned.LearnedAt, view.Baseline!.LearnedAt);
    }

    [Fact]
    public void A_stored_baseline_of_the_previous_shape_loads_into_the_current_one()
    {
        var services = fixture.Cluster.Silos[0].ServiceProvider;
        var storage = new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>());
        var v1 = new BaselineStateV1
        {
            Version = 1,
            LearningStartMs = 1_000,
            LearnedAtMs = 3_601_000,
            ActiveWindows = 13,
            WindowIndex = 12,
            EventsSeen = 65,
            Resolvers = [new ResolverRecord { Address = NetAddress.Parse("1.1.1.1"), Protocol = EncryptedDnsProtocol.DoT, FirstSeenMs = 1_000, LastSeenMs = 3_601_000, Connections = 65, Bytes = 195_000, Learned = true }],
            Volumes = [new VolumeRecord { Protocol = EncryptedDnsProtocol.DoT, Connections = new StoredEstimate { Windows = 12, Mean = 5, Variance = 1 } }],
            ResolversEvicted = 2,
        };

        var stored = storage.Serialize(v1);
        var current = storage.Deserialize<BaselineState>(stored)!;

        Assert.Equal((1, 1_000L, 3_601_000L, 13, 65L, 2L), (current.Version, current.LearningStartMs, current.LearnedAtMs, current.ActiveWindows, current.EventsSeen, current.ResolversEvicted));
        Assert.Empty(current.FanOut); // added in version 2: absent means none learned yet
        Assert.Equal(0, current.PortsEvicted);
        Assert.Equal(long.MinValue, current.FirstEventMs);

        var workload = new WorkloadDetection("v1-workload", new DetectionSettings());
        workload.Restore(current.ToSnapshot());
        Assert.True(workload.Baseline.IsLearned);
        Assert.Equal(65, workload.EventsSeen);
        workload.Observe([Dot(3_700_000, "1.1.1.1"), Dot(3_700_001, "9.9.9.9")], long.MaxValue);
        var findings = new List<Finding>();
        workload.Collect(findings);
        Assert.Equal(Severity.Low, Assert.Single(findings).Severity);
        Assert.Equal(BaselineState.CurrentVersion, BaselineState.From(workload.Export()).Version);
    }

    /// <summary>65 DoT connections to 1.1.1.1 over 13 windows ending two hours ago (past the one-hour learning period).</summary>
    private static async Task<long> LearnDot(IWorkloadGrain host)
    {
        var start = (DateTimeOffset.UtcNow.AddHours(-3).ToUnixTimeMilliseconds() / WindowMs) * WindowMs;
        var events = new List<FlowEvent>();
        for (var w = 0; w < 13; w++)
        {
            for (var i = 0; i < 5; i++) events.Add(Dot(start + w * WindowMs + i * 1000, "1.1.1.1"));
        }

        var result = await host.Ingest([.. events]);
        Assert.Equal((65, 0), (result.Accepted, result.Alerts));
        return events[^1].TimeMs;
    }

    /// <summary>Waits until the silo no longer lists the grain's activation (without calling it), then activates it anew.</summary>
    private static async Task<WorkloadView> WaitForNewActivation(IManagementGrain management, IWorkloadGrain host)
    {
        var id = host.GetGrainId();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var activations = await management.GetDetailedGrainStatistics();
            if (!activations.Any(a => a.GrainId == id)) return await host.GetView();
            await Task.Delay(100);
        }

        throw new TimeoutException("the workload grain was not deactivated within 10 s");
    }

    private static FlowEvent Dot(long timeMs, string resolver) =>
        new(timeMs, NetAddress.Parse("10.0.0.5"), 40000, NetAddress.Parse(resolver), 853, FlowProtocol.Tcp, FlowState.Established, 3000, 10);
}

/// <summary>The stored baseline as version 1 wrote it: no per-port fan-out, no port eviction counter, no event times.</summary>
[GenerateSerializer, Alias("orleansdetect.tests.baseline-v1")]
public sealed class BaselineStateV1
{
    [Id(0)] public int Version { get; set; }
    [Id(1)] public long LearningStartMs { get; set; }
    [Id(2)] public long LearnedAtMs { get; set; }
    [Id(3)] public int ActiveWindows { get; set; }
    [Id(4)] public long WindowIndex { get; set; }
    [Id(5)] public long EventsSeen { get; set; }
    [Id(6)] public ResolverRecord[] Resolvers { get; set; } = [];
    [Id(7)] public VolumeRecord[] Volumes { get; set; } = [];
    [Id(9)] public long ResolversEvicted { get; set; }
}

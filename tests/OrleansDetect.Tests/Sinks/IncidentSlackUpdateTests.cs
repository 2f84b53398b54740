using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using OrleansDetect.Grains.Hosting;
using OrleansDetect.Tests.Infrastructure;
using static OrleansDetect.Tests.Detection.Flows;

namespace OrleansDetect.Tests.Sinks;

/// <summary>
/// One silo on a fake clock with the Slack sink pointed at a loopback webhook and a short
/// <c>Detection:Incident:UpdateEvery</c>: workload grains, alert grains, the feed and the notifier as they run, with
/// time moving only when a test moves it.
/// </summary>
public sealed class IncidentUpdateClusterFixture : IAsyncLifetime
{
    public static readonly TimeSpan UpdateEvery = TimeSpan.FromMinutes(1);

    /// <summary>An hour after the flows the tests send, so none is stamped in the future.</summary>
    public FakeSiloClock Clock { get; } = new(DateTimeOffset.FromUnixTimeMilliseconds(T0).AddHours(1));

    public RecordingWebhook Webhook { get; private set; } = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Webhook = await RecordingWebhook.StartAsync(_ => (200, null), Clock);
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSiloHost((_, host) => host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Slack:WebhookUrl"] = Webhook.Url,
            ["Slack:MinInterval"] = "00:00:01",
            ["Detection:Incident:UpdateEvery"] = UpdateEvery.ToString(),
        }));
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(StorageNames.Alerts);
            silo.AddMemoryGrainStorage(StorageNames.Baselines);
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton<TimeProvider>(Clock);
            silo.Services.AddDetectionServices();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Webhook.DisposeAsync();
    }
}

/// <summary>
/// A growing incident reaches Slack at most once per <c>Detection:Incident:UpdateEvery</c>, and the growth the interval
/// held back is posted when it has passed, so the channel never keeps stale counts; the feed (RSS) has one item at the
/// latest counts throughout.
/// </summary>
public sealed class IncidentSlackUpdateTests(IncidentUpdateClusterFixture fixture) : IClassFixture<IncidentUpdateClusterFixture>
{
    // The clock moves a second at a time (the notifier's spacing), and only once nothing more reached the webhook
    // for a moment, so a post due at the current instant is on record before the clock moves on.
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private IGrainFactory Grains => fixture.Cluster.Client;

    [Fact]
    public async Task Growth_within_the_interval_posts_nothing_and_the_held_update_goes_out_after_it_with_the_latest_counts()
    {
        var workload = Infrastructure.Flows.UniqueWorkload("incident");
        var scanner = Grains.GetGrain<IWorkloadGrain>(workload);
        // masscan over 30 hosts: ports 1-40 in the first minute, in three batches; ports 41-60 a minute later.
        var first = Scan(1, 40, 30, T0);
        var later = Scan(41, 60, 30, T0 + 120_000);

        // 800 probes: every host scanned on more than 15 ports, so the incident opens (medium) and is posted.
        await scanner.Ingest(first[..800]);
        var opened = Assert.Single(await Eventually.FeedAlerts(Grains, workload));
        Assert.Equal(DetectionTypes.ReconIncident, opened.Type);
        var posts = await AdvanceUntilPosted(opened.Id, 1);
        Assert.DoesNotContain("Updated", posts[0].Header, StringComparison.Ordinal);

        // The sweeps join the incident: it grows twice, at the same severity, within the interval.
        await scanner.Ingest(first[800..1000]);
        await scanner.Ingest(first[1000..]);
        var grown = Assert.Single(await Eventually.FeedAlerts(Grains, workload, and: a => a[0].Evidence.Evidence![OrleansDetect.Detection.IncidentEvidence.PortsSwept].StartsWith("40:", StringComparison.Ordinal)));
        Assert.Equal(opened.Id, grown.Id);
        Assert.Equal(opened.Severity, grown.Severity);
        Assert.NotEqual(opened.Title, grown.Title);

        // Nothing more is posted while the interval since the incident opened runs (the notifier's own spacing is a second).
        await Advance(opened.RaisedAt + IncidentUpdateClusterFixture.UpdateEvery - TimeSpan.FromSeconds(5) - fixture.Clock.GetUtcNow());
        Assert.Single(Posts(opened.Id));

        // Once it has passed, exactly one update goes out, without new traffic, carrying the incident's latest counts.
        posts = await AdvanceUntilPosted(opened.Id, 2);
        Assert.StartsWith($":warning: Updated: {grown.Title}", posts[1].Header, StringComparison.Ordinal);
        Assert.Contains($"v{grown.Version} ", posts[1].Context, StringComparison.Ordinal);
        await Advance(IncidentUpdateClusterFixture.UpdateEvery * 2);
        Assert.Equal(2, Posts(opened.Id).Count);

        // Growth after a quiet interval is news at once; the feed still has the one incident, at its newest counts.
        await scanner.Ingest(later);
        var latest = Assert.Single(await Eventually.FeedAlerts(Grains, workload, and: a => a[0].Version > grown.Version && a[0].Title != grown.Title));
        posts = await AdvanceUntilPosted(opened.Id, 3);
        Assert.StartsWith($":warning: Updated: {latest.Title}", posts[2].Header, StringComparison.Ordinal);
        Assert.Equal(latest.Title, (await Grains.GetGrain<IAlertGrain>(AlertIds.GrainKey(latest.Fingerprint)).GetCurrent())!.Title);
    }

    /// <summary>Every (port, host) pair of the ranges once, shuffled, spread over a minute from <paramref name="startMs"/>.</summary>
    private static FlowEvent[] Scan(int firstPort, int lastPort, int hosts, long startMs)
    {
        var events = new List<FlowEvent>();
        for (var port = firstPort; port <= lastPort; port++)
        {
            for (var h = 0; h < hosts; h++) events.Add(Failed(0, Public(h), port));
        }

        var shuffled = events.ToArray();
        new Random(5).Shuffle(shuffled);
        for (var i = 0; i < shuffled.Length; i++) shuffled[i] = shuffled[i] with { TimeMs = startMs + (i * 60_000L / shuffled.Length) };
        return shuffled;
    }

    private async Task<List<Post>> AdvanceUntilPosted(string alertId, int expected)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < Patience)
        {
            var posts = Posts(alertId);
            if (posts.Count >= expected) return posts;
            await SettleThenStep();
        }

        Assert.Fail($"expected {expected} Slack posts of {alertId}, got {Posts(alertId).Count}");
        return [];
    }

    private async Task Advance(TimeSpan span)
    {
        var until = fixture.Clock.GetUtcNow() + span;
        var waited = Stopwatch.StartNew();
        while (fixture.Clock.GetUtcNow() < until)
        {
            Assert.True(waited.Elapsed < Patience, "the clock did not get there");
            await SettleThenStep();
        }
    }

    private async Task SettleThenStep()
    {
        var seen = fixture.Webhook.Deliveries.Count;
        if (!await fixture.Webhook.WaitForDeliveries(seen + 1, Settle)) fixture.Clock.Advance(Step);
    }

    private List<Post> Posts(string alertId)
    {
        var posts = new List<Post>();
        foreach (var delivery in fixture.Webhook.Deliveries)
        {
            var message = JsonNode.Parse(delivery.Body)!;
            var header = (string)message["blocks"]![0]!["text"]!["text"]!;
            var context = (string)message["blocks"]!.AsArray().Last()!["elements"]![0]!["text"]!;
            if (context.Contains($"`{alertId}`", StringComparison.Ordinal)) posts.Add(new Post(header, context));
        }

        return posts;
    }

    private sealed record Post(string Header, string Context);
}

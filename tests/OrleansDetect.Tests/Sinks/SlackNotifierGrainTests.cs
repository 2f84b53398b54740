using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using OrleansDetect.Grains.Alerts;
using OrleansDetect.Grains.Sinks.Slack;
using OrleansDetect.Tests.Alerts;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Sinks;

/// <summary>
/// One silo with the Slack sink pointed at a loopback webhook that accepts everything. The silo runs on
/// <see cref="Clock"/>, so the notifier's sender ticks only when a test advances it.
/// </summary>
public sealed class SlackNotifierClusterFixture : IAsyncLifetime
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    public const int DigestAfter = 10;

    public static readonly Uri ConsoleBase = new("https://console.example/detect/");

    public FakeSiloClock Clock { get; } = new(AlertSamples.Raised);

    public RecordingWebhook Webhook { get; private set; } = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public CapturedLogs SiloLogs { get; } = new();

    public async Task InitializeAsync()
    {
        Webhook = await RecordingWebhook.StartAsync(_ => (200, null), Clock);
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Slack:WebhookUrl"] = Webhook.Url,
                ["Slack:MinInterval"] = MinInterval.ToString(),
                // Above what the ordering tests queue at once; the digest test queues a burst well past it.
                ["Slack:DigestAfter"] = DigestAfter.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            host.Logging.AddProvider(SiloLogs).SetMinimumLevel(LogLevel.Debug);
            host.Services.AddSingleton<TimeProvider>(Clock);
            host.Services.AddSingleton(new AlertLinks(ConsoleBase));
            host.Services.AddSlackSink();
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

public class SlackNotifierGrainTests(SlackNotifierClusterFixture fixture) : IClassFixture<SlackNotifierClusterFixture>
{
    // The clock moves a quarter interval at a time, and only once nothing more has reached the webhook for a
    // moment, so a post due at the current instant is on record before the clock moves on: a post that came
    // a quarter interval or more too early shows as a short gap.
    private static readonly TimeSpan Step = SlackNotifierClusterFixture.MinInterval / 4;
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private ISlackNotifierGrain Notifier => fixture.Cluster.Client.GetGrain<ISlackNotifierGrain>(ISlackNotifierGrain.DefaultKey);

    [Fact]
    public async Task Three_alerts_become_three_posts_spaced_by_the_minimum_interval()
    {
        var alerts = Enumerable.Range(1, 3)
            .Select(i => AlertSamples.Alert(AlertSamples.PublicSweep($"spaced-{i}")))
            .ToArray();
        foreach (var alert in alerts)
        {
            await Notifier.Deliver(alert);
        }

        var posts = await AdvanceUntilPosted(alerts.Select(a => a.Id).ToArray(), expected: 3);

        Assert.Equal(alerts.Select(a => a.Id), posts.Select(p => p.AlertId));
        for (var i = 1; i < posts.Count; i++)
        {
            var gap = fixture.Clock.GetElapsedTime(posts[i - 1].Delivery.Timestamp, posts[i].Delivery.Timestamp);
            Assert.True(gap >= SlackNotifierClusterFixture.MinInterval, $"posts {i - 1} and {i} only {gap.TotalMilliseconds} ms apart");
        }

        Assert.All(posts, p => Assert.DoesNotContain("Escalated", p.Header, StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.SiloLogs.Lines, line => line.Contains("s3cr3t", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_newer_version_replaces_the_queued_one()
    {
        var ahead = AlertSamples.Alert(AlertSamples.PublicSweep("dedup-ahead"));
        var queued = AlertSamples.Alert(AlertSamples.PublicSweep("dedup-queued", distinct: 30, severity: Severity.Medium));
        var newer = queued with { Version = 2, Severity = Severity.High, Evidence = queued.Evidence with { DistinctTargets = 150 } };
        newer = newer with { Title = OrleansDetect.Grains.Alerts.AlertText.Title(newer.Evidence) };

        var marker = AlertSamples.Alert(AlertSamples.PublicSweep("dedup-marker"));

        // The clock stands still, so at most "ahead" leaves before the clock moves: "queued" is still waiting
        // when "newer" arrives.
        await Notifier.Deliver(ahead);
        await Notifier.Deliver(queued);
        await Notifier.Deliver(newer);
        await Notifier.Deliver(queued); // a stale version arriving late changes nothing
        await Notifier.Deliver(marker);

        // Posts leave in queue order: once the marker is on the channel, nothing queued before it still waits.
        // Then three more intervals for anything posted late.
        await AdvanceUntilPosted([marker.Id], expected: 1);
        await Advance(SlackNotifierClusterFixture.MinInterval * 3);
        var posts = Posts([ahead.Id, queued.Id]);

        Assert.Equal([ahead.Id, queued.Id], posts.Select(p => p.AlertId));
        // The channel never saw version 1, so version 2 is announced as a new alert with the latest evidence.
        Assert.Contains("150 public addresses", posts[1].Header, StringComparison.Ordinal);
        Assert.DoesNotContain("Escalated", posts[1].Header, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_later_version_of_a_posted_alert_is_an_escalation()
    {
        var first = AlertSamples.Alert(AlertSamples.PublicSweep("escalates", distinct: 30, severity: Severity.Medium));
        await Notifier.Deliver(first);
        await AdvanceUntilPosted([first.Id], expected: 1);

        var escalated = first with { Version = 2, Severity = Severity.High };
        await Notifier.Deliver(escalated);
        var posts = await AdvanceUntilPosted([first.Id], expected: 2);

        Assert.StartsWith(":rotating_light: Escalated to HIGH:", posts[1].Header, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_burst_of_200_alerts_becomes_a_few_digest_messages_each_alert_once()
    {
        var burst = Enumerable.Range(0, 200)
            .Select(i => AlertSamples.Alert(AlertSamples.PublicSweep($"burst-{i}", severity: i % 10 == 0 ? Severity.High : Severity.Medium)))
            .ToArray();
        var marker = AlertSamples.Alert(AlertSamples.PublicSweep("burst-marker"));
        var seen = fixture.Webhook.Deliveries.Count;
        foreach (var alert in burst) Assert.Equal(SinkReceipt.Queued, await Notifier.Deliver(alert));
        await Notifier.Deliver(marker);

        // Queue order: once the marker is on the channel, the whole burst is.
        var waited = Stopwatch.StartNew();
        while (!fixture.Webhook.Deliveries.Skip(seen).Any(d => d.Body.Contains(marker.Id, StringComparison.Ordinal)))
        {
            Assert.True(waited.Elapsed < Patience, "the burst did not drain");
            await SettleThenStep();
        }

        var messages = fixture.Webhook.Deliveries.Skip(seen).Select(d => Texts(JsonNode.Parse(d.Body)!)).ToArray();
        // 201 notifications at most 50 to a digest: five or six messages, not 201 (over three minutes at one a second).
        Assert.InRange(messages.Length, 5, 6);
        foreach (var alert in burst)
        {
            Assert.Equal(1, messages.Count(m => m.Contains($"`{alert.Id}`", StringComparison.Ordinal)));
        }

        // A digest says how many alerts of which severity it carries, and links each one.
        var digest = messages.First(m => m.Contains($"`{burst[100].Id}`", StringComparison.Ordinal));
        Assert.Matches(@"^\[HIGH\] Alert digest: 50 alerts \(\d+ high, \d+ medium\)", digest);
        Assert.Contains($"<{AlertLinks.PageOf(SlackNotifierClusterFixture.ConsoleBase, burst[100].Id).AbsoluteUri}|Port sweep: burst-100 ", digest, StringComparison.Ordinal);

        // Posted versions are remembered: delivering one again is answered from memory, not posted twice.
        Assert.Equal(SinkReceipt.Stored, await Notifier.Deliver(burst[7]));
    }

    /// <summary>Moves the notifier's clock on, step by step, until <paramref name="expected"/> posts of these alerts arrived.</summary>
    private async Task<List<Post>> AdvanceUntilPosted(string[] alertIds, int expected)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < Patience)
        {
            var posts = Posts(alertIds);
            if (posts.Count >= expected)
            {
                return posts;
            }

            await SettleThenStep();
        }

        Assert.Fail($"expected {expected} Slack posts, got {Posts(alertIds).Count}");
        return [];
    }

    /// <summary>Moves the notifier's clock on by <paramref name="span"/>, step by step.</summary>
    private async Task Advance(TimeSpan span)
    {
        var until = fixture.Clock.GetUtcNow() + span;
        var waited = Stopwatch.StartNew();
        while (fixture.Clock.GetUtcNow() < until)
        {
            Assert.True(waited.Elapsed < Patience, "the notifier kept posting while its clock stood still");
            await SettleThenStep();
        }
    }

    private async Task SettleThenStep()
    {
        var seen = fixture.Webhook.Deliveries.Count;
        if (!await fixture.Webhook.WaitForDeliveries(seen + 1, Settle))
        {
            fixture.Clock.Advance(Step);
        }
    }

    private List<Post> Posts(string[] alertIds)
    {
        var posts = new List<Post>();
        foreach (var delivery in fixture.Webhook.Deliveries)
        {
            var message = JsonNode.Parse(delivery.Body)!;
            var header = (string)message["blocks"]![0]!["text"]!["text"]!;
            var context = (string)message["blocks"]!.AsArray().Last()!["elements"]![0]!["text"]!;
            var id = alertIds.FirstOrDefault(a => context.Contains($"`{a}`", StringComparison.Ordinal));
            if (id is not null)
            {
                posts.Add(new Post(id, header, delivery));
            }
        }

        return posts;
    }

    /// <summary>Every text of a message, the fallback text first, one per line (JSON escapes undone).</summary>
    private static string Texts(JsonNode message)
    {
        var texts = new List<string>();
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (key, value) in o)
                    {
                        if (key == "text" && value is JsonValue v && v.TryGetValue<string>(out var text)) texts.Add(text);
                        else Walk(value);
                    }

                    break;
                case JsonArray a:
                    foreach (var item in a) Walk(item);
                    break;
            }
        }

        Walk(message);
        return string.Join('\n', texts);
    }

    private sealed record Post(string AlertId, string Header, RecordingWebhook.Delivery Delivery);
}

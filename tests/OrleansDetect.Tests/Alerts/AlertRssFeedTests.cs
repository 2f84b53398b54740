using System.Diagnostics;
using System.ServiceModel.Syndication;
using System.Xml;
using System.Xml.Linq;
using OrleansDetect.Grains.Alerts;

namespace OrleansDetect.Tests.Alerts;

public class AlertRssFeedTests
{
    private static readonly Uri BaseUri = new("http://localhost:8080");

    private static AlertRecord[] ThreeAlertsNewestFirst() =>
    [
        AlertSamples.Alert(AlertSamples.PortScan("db-2"), raised: AlertSamples.Raised.AddMinutes(20)),
        AlertSamples.Alert(AlertSamples.InScope(AlertSamples.PublicSweep("web-1", severity: Severity.Medium), Scopes.Internal), raised: AlertSamples.Raised.AddMinutes(10)),
        AlertSamples.Alert(AlertSamples.PublicSweep("web-1"), version: 3),
    ];

    [Fact]
    public void Feed_parses_back_with_one_item_per_alert()
    {
        var alerts = ThreeAlertsNewestFirst();
        var feed = Parse(AlertRssFeed.Render(alerts, BaseUri));

        Assert.Equal("OrleansDetect alerts", feed.Title.Text);
        Assert.Equal(BaseUri, feed.Links.First(l => l.RelationshipType is null or "alternate").Uri);
        var items = feed.Items.ToList();
        Assert.Equal(3, items.Count);
        for (var i = 0; i < alerts.Length; i++)
        {
            Assert.Equal(alerts[i].Id, items[i].Id);
            Assert.Equal(alerts[i].Title, items[i].Title.Text);
            Assert.Equal(alerts[i].RaisedAt, items[i].PublishDate);
            Assert.Equal(alerts[i].UpdatedAt, items[i].LastUpdatedTime);
            Assert.Equal([alerts[i].Type, alerts[i].Severity.Name()], items[i].Categories.Select(c => c.Name));
            Assert.Equal(new Uri($"http://localhost:8080/alerts/{alerts[i].Id}"), items[i].Links.Single().Uri);
            Assert.Contains("<th align=\"left\">Distinct targets</th>", ((TextSyndicationContent)items[i].Summary).Text);
        }
    }

    [Fact]
    public void Guids_are_not_permalinks_and_dates_are_rfc822()
    {
        var xml = XDocument.Parse(AlertRssFeed.Render(ThreeAlertsNewestFirst(), BaseUri));
        var items = xml.Root!.Element("channel")!.Elements("item").ToList();

        Assert.All(items, item => Assert.Equal("false", item.Element("guid")!.Attribute("isPermaLink")?.Value));
        Assert.Equal("Sat, 28 Nov 2026 05:08:00 +0000", items[0].Element("pubDate")!.Value);
        Assert.NotNull(xml.Root.Element("channel")!.Element("lastBuildDate"));
    }

    [Fact]
    public void Same_alerts_render_the_same_feed()
    {
        var first = AlertRssFeed.Render(ThreeAlertsNewestFirst(), BaseUri);
        var again = AlertRssFeed.Render(ThreeAlertsNewestFirst(), BaseUri);
        Assert.Equal(first, again);
    }

    [Fact]
    public void Links_keep_a_base_path()
    {
        Assert.Equal(
            new Uri("https://detect.example/prefix/alerts/0123456789abcdef-2"),
            AlertLinks.PageOf(new Uri("https://detect.example/prefix"), "0123456789abcdef-2"));
    }

    [Fact]
    public void Empty_feed_is_valid()
    {
        Assert.Empty(Parse(AlertRssFeed.Render([], BaseUri)).Items);
    }

    [Fact]
    public void A_control_character_in_a_workload_name_leaves_the_feed_valid()
    {
        var poisoned = AlertSamples.Alert(AlertSamples.PublicSweep("bell\u0007-\ud800-web"));
        var xml = AlertRssFeed.Render([poisoned, .. ThreeAlertsNewestFirst()], BaseUri);

        var items = Parse(xml).Items.ToList();
        Assert.Equal(4, items.Count);
        Assert.Contains("bell\uFFFD-\uFFFD-web", items[0].Title.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Feedparser_shows_every_mitre_id_values_escaped_and_html_descriptions()
    {
        var alerts = ThreeAlertsNewestFirst().Prepend(AlertSamples.Alert(AlertSamples.PublicSweep("a<b>&c"))).ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"orleansdetect-{Guid.NewGuid():N}.xml");
        File.WriteAllText(path, AlertRssFeed.Render(alerts, BaseUri));
        try
        {
            // feedparser (python3-feedparser, installed by .ci/run) is what many readers and Slack-like bots use.
            var script = "import sys, json, feedparser\n" +
                         "f = feedparser.parse(sys.argv[1])\n" +
                         "print(json.dumps({'bozo': bool(f.bozo), 'link': f.feed.link, 'entries': [{'id': e.id, 'title': e.title, 'link': e.link, 'published': e.published, 'type': e.summary_detail.type, 'summary': e.summary} for e in f.entries]}))\n";
            var result = System.Text.Json.Nodes.JsonNode.Parse(RunPython(script, path))!;
            Assert.False(result["bozo"]!.GetValue<bool>());
            Assert.Equal(BaseUri.AbsoluteUri, result["link"]!.GetValue<string>());
            var entries = result["entries"]!.AsArray();
            Assert.Equal(alerts.Select(a => a.Id), entries.Select(e => e!["id"]!.GetValue<string>()));
            for (var i = 0; i < alerts.Length; i++)
            {
                var entry = entries[i]!;
                Assert.Equal("text/html", entry["type"]!.GetValue<string>());
                Assert.Equal(alerts[i].Title, entry["title"]!.GetValue<string>());
                Assert.Equal($"http://localhost:8080/alerts/{alerts[i].Id}", entry["link"]!.GetValue<string>());
                var summary = entry["summary"]!.GetValue<string>();
                // The HTML a reader renders: "MITRE ATT&amp;CK" (shown as "MITRE ATT&CK") and every technique id.
                Assert.Contains("MITRE ATT&amp;CK", summary, StringComparison.Ordinal);
                foreach (var technique in alerts[i].Evidence.Mitre) Assert.Contains(technique, summary, StringComparison.Ordinal);
            }

            Assert.Contains("a&lt;b&gt;&amp;c", entries[0]!["summary"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static SyndicationFeed Parse(string xml)
    {
        using var reader = XmlReader.Create(new StringReader(xml));
        var formatter = new Rss20FeedFormatter();
        Assert.True(formatter.CanRead(reader));
        formatter.ReadFrom(reader);
        return formatter.Feed;
    }

    private static string RunPython(string script, string argument)
    {
        // Debian's python3-feedparser belongs to the system interpreter, whatever else is first on PATH.
        var start = new ProcessStartInfo(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), "python3 did not finish");
        Assert.True(process.ExitCode == 0, $"python3 failed: {error.Result}");
        return output.Result;
    }
}

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
        Assert.Equal(BaseUri, feed.Links.Single().Uri);
        var items = feed.Items.ToList();
        Assert.Equal(3, items.Count);
        for (var i = 0; i < alerts.Length; i++)
        {
            Assert.Equal(alerts[i].Id, items[i].Id);
            Assert.Equal(alerts[i].Title, items[i].Title.Text);
            Assert.Equal(alerts[i].RaisedAt, items[i].PublishDate);
            Assert.Equal(alerts[i].UpdatedAt, items[i].LastUpdatedTime);
            Assert.Equal([alerts[i].Type, alerts[i].Severity.Name()], items[i].Categories.Select(c => c.Name));
            Assert.Equal(new Uri($"http://localhost:8080/api/v1/alerts/{alerts[i].Id}"), items[i].Links.Single().Uri);
            Assert.Contains("Distinct targets:", ((TextSyndicationContent)items[i].Summary).Text);
        }
    }

    [Fact]
    public void Guids_are_not_permalinks_and_dates_are_rfc822()
    {
        var xml = XDocument.Parse(AlertRssFeed.Render(ThreeAlertsNewestFirst(), BaseUri));
        var items = xml.Root!.Element("channel")!.Elements("item").ToList();

        Assert.All(items, item => Assert.Equal("false", item.Element("guid")!.Attribute("isPermaLink")?.Value));
        Assert.Equal("Sat, 28 Nov 2026 05:08:00 Z", items[0].Element("pubDate")!.Value);
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
            new Uri("https://detect.example/prefix/api/v1/alerts/0123456789abcdef-2"),
            AlertRssFeed.AlertLink(new Uri("https://detect.example/prefix"), "0123456789abcdef-2"));
    }

    [Fact]
    public void Empty_feed_is_valid()
    {
        Assert.Empty(Parse(AlertRssFeed.Render([], BaseUri)).Items);
    }

    [Fact]
    public void Feedparser_reads_the_feed_when_it_is_installed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"orleansdetect-{Guid.NewGuid():N}.xml");
        File.WriteAllText(path, AlertRssFeed.Render(ThreeAlertsNewestFirst(), BaseUri));
        try
        {
            var script = "import sys\ntry:\n import feedparser\nexcept ImportError:\n print('skip'); sys.exit(0)\n" +
                         "f = feedparser.parse(sys.argv[1])\n" +
                         "print('bozo' if f.bozo else 'ok', len(f.entries), ' '.join(e.id for e in f.entries))\n";
            var result = RunPython(script, path);
            if (result is null || result.StartsWith("skip", StringComparison.Ordinal))
            {
                return; // Optional check: no python3 or no feedparser here.
            }

            var ids = string.Join(' ', ThreeAlertsNewestFirst().Select(a => a.Id));
            Assert.Equal($"ok 3 {ids}", result.Trim());
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

    private static string? RunPython(string script, string argument)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            return process.WaitForExit(30_000) && process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

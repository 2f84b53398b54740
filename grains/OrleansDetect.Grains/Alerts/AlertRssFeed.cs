using System.ServiceModel.Syndication;
using System.Text;
using System.Xml;

namespace OrleansDetect.Grains.Alerts;

/// <summary>Renders alerts as an RSS 2.0 document (what Slack's RSS app and feed readers subscribe to).</summary>
public static class AlertRssFeed
{
    public const string Title = "OrleansDetect alerts";
    public const string ContentType = "application/rss+xml; charset=utf-8";

    /// <summary>
    /// One item per alert, in the given (newest-first) order. The output depends only on the input, so
    /// an unchanged alert list renders byte-for-byte the same feed and readers see no phantom updates.
    /// </summary>
    public static string Render(IReadOnlyList<AlertRecord> alerts, Uri baseUri)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        ArgumentNullException.ThrowIfNull(baseUri);

        var feed = new SyndicationFeed(
            Title,
            "Port sweeps, port scans and unusual encrypted DNS detected by OrleansDetect",
            baseUri)
        {
            Items = alerts.Select(alert => Item(alert, baseUri)).ToList(),
            Generator = "OrleansDetect",
        };
        if (alerts.Count > 0)
        {
            // lastBuildDate follows the data, not the clock, so re-rendering is stable.
            feed.LastUpdatedTime = alerts.Max(a => a.UpdatedAt);
        }

        var output = new Utf8StringWriter();
        using (var writer = XmlWriter.Create(output, new XmlWriterSettings { Encoding = Encoding.UTF8, Indent = true }))
        {
            new Rss20FeedFormatter(feed, serializeExtensionsAsAtom: true).WriteTo(writer);
        }

        return output.ToString();
    }

    /// <summary>{baseUri}/api/v1/alerts/{id}, whatever path or trailing slash baseUri has.</summary>
    public static Uri AlertLink(Uri baseUri, string alertId)
    {
        var root = baseUri.AbsoluteUri.EndsWith('/') ? baseUri : new Uri(baseUri.AbsoluteUri + "/");
        return new Uri(root, "api/v1/alerts/" + Uri.EscapeDataString(alertId));
    }

    private static SyndicationItem Item(AlertRecord alert, Uri baseUri)
    {
        var link = AlertLink(baseUri, alert.Id);
        var item = new SyndicationItem(alert.Title, AlertText.Describe(alert), link, alert.Id, alert.UpdatedAt)
        {
            PublishDate = alert.RaisedAt,
        };

        // With no alternate link equal to the id, Rss20FeedFormatter writes isPermaLink="false":
        // the id is a stable key, not a URL a reader should open.
        item.Categories.Add(new SyndicationCategory(alert.Type));
        item.Categories.Add(new SyndicationCategory(alert.Severity.Name(), "severity", null));
        return item;
    }

    /// <summary>StringWriter reports UTF-16; the XML declaration must say what the HTTP response carries.</summary>
    private sealed class Utf8StringWriter : StringWriter
    {
        public Utf8StringWriter() : base(System.Globalization.CultureInfo.InvariantCulture)
        {
        }

        public override Encoding Encoding => new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
    }
}

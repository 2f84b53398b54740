using System.Globalization;
using System.Text;
using System.Xml;

namespace OrleansDetect.Grains.Alerts;

/// <summary>Renders alerts as an RSS 2.0 document (what Slack's RSS app and feed readers subscribe to).</summary>
public static class AlertRssFeed
{
    public const string Title = "OrleansDetect alerts";
    public const string ContentType = "application/rss+xml; charset=utf-8";
    private const string Atom = "http://www.w3.org/2005/Atom";

    /// <summary>
    /// One item per alert, in the given (newest-first) order. The output depends only on the input, so an unchanged
    /// alert list renders byte-for-byte the same feed and readers see no phantom updates. Every value we did not write
    /// is made safe (<see cref="SafeText"/>): no alert can make the document invalid.
    /// </summary>
    /// <param name="baseUri">The console's base URL: the channel links to it, each item to its alert's page.</param>
    public static string Render(IReadOnlyList<AlertRecord> alerts, Uri baseUri)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        ArgumentNullException.ThrowIfNull(baseUri);
        var root = AlertLinks.WithSlash(baseUri);

        var output = new Utf8StringWriter();
        using (var xml = XmlWriter.Create(output, new XmlWriterSettings { Encoding = Encoding.UTF8, Indent = true }))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("rss");
            xml.WriteAttributeString("version", "2.0");
            xml.WriteAttributeString("xmlns", "atom", null, Atom);
            xml.WriteStartElement("channel");
            xml.WriteElementString("title", Title);
            xml.WriteElementString("link", root.AbsoluteUri);
            xml.WriteElementString("description", "Port sweeps, port scans and unusual encrypted DNS detected by OrleansDetect");
            xml.WriteElementString("generator", "OrleansDetect");
            if (alerts.Count > 0)
            {
                // lastBuildDate follows the data, not the clock, so re-rendering is stable.
                xml.WriteElementString("lastBuildDate", Rfc822(alerts.Max(a => a.UpdatedAt)));
            }

            xml.WriteStartElement("atom", "link", Atom);
            xml.WriteAttributeString("href", new Uri(root, "alerts.rss").AbsoluteUri);
            xml.WriteAttributeString("rel", "self");
            xml.WriteAttributeString("type", "application/rss+xml");
            xml.WriteEndElement();

            foreach (var alert in alerts) Item(xml, alert, root);

            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return output.ToString();
    }

    /// <summary>RFC 822 (as RFC 1123 refines it) with a numeric zone: "Sat, 28 Nov 2026 04:48:00 +0000".</summary>
    public static string Rfc822(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);

    private static void Item(XmlWriter xml, AlertRecord alert, Uri root)
    {
        xml.WriteStartElement("item");
        xml.WriteElementString("title", SafeText.Clean(alert.Title));
        xml.WriteElementString("link", AlertLinks.PageOf(root, alert.Id).AbsoluteUri);
        // HTML, escaped once more by the writer: readers unescape it and render a table.
        xml.WriteElementString("description", AlertText.DescribeHtml(alert));
        xml.WriteStartElement("guid");
        // The id is a stable key, not a URL a reader should open.
        xml.WriteAttributeString("isPermaLink", "false");
        xml.WriteString(SafeText.Clean(alert.Id));
        xml.WriteEndElement();
        xml.WriteElementString("pubDate", Rfc822(alert.RaisedAt));
        xml.WriteElementString("category", SafeText.Clean(alert.Type));
        xml.WriteStartElement("category");
        xml.WriteAttributeString("domain", "severity");
        xml.WriteString(alert.Severity.Name());
        xml.WriteEndElement();
        xml.WriteElementString("updated", Atom, XmlConvert.ToString(alert.UpdatedAt.ToUniversalTime()));
        xml.WriteEndElement();
    }

    /// <summary>StringWriter reports UTF-16; the XML declaration must say what the HTTP response carries.</summary>
    private sealed class Utf8StringWriter : StringWriter
    {
        public Utf8StringWriter() : base(CultureInfo.InvariantCulture)
        {
        }

        public override Encoding Encoding => new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
    }
}

using System.Text.Json.Nodes;
using OrleansDetect.Grains.Sinks.Slack;

using OrleansDetect.Tests.Alerts;

namespace OrleansDetect.Tests.Sinks;

public class SlackMessageBuilderTests
{
    private static readonly Uri Link = new("https://console.example/alerts/0123456789abcdef-1");

    [Fact]
    public void Message_has_header_fields_and_sample_targets()
    {
        var alert = AlertSamples.Alert(AlertSamples.PublicSweep() with { DuringLearning = true });
        var message = SlackMessageBuilder.Build(alert, SlackNotice.New, Link);

        // The notification text names the severity and links the alert.
        Assert.Equal($"[HIGH] {alert.Title} <{Link.AbsoluteUri}|open>", (string?)message["text"]);
        Assert.Contains(AllTexts(message), t => t.Contains($"<{Link.AbsoluteUri}|Open the alert>", StringComparison.Ordinal));
        var blocks = message["blocks"]!.AsArray();
        var header = blocks[0]!;
        Assert.Equal("header", (string?)header["type"]);
        Assert.Equal(":rotating_light: " + alert.Title, (string?)header["text"]!["text"]);

        var fields = blocks[1]!["fields"]!.AsArray().Select(f => (string)f!["text"]!).ToList();
        Assert.Contains("*Severity*\nhigh", fields);
        Assert.Contains("*Workload*\nweb-1", fields);
        Assert.Contains("*Port*\ntcp/22", fields);
        Assert.Contains("*Scope*\npublic", fields);
        Assert.Contains("*Distinct targets*\n200", fields);
        Assert.Contains("*Window*\n2026-11-28T04:43:00Z – 2026-11-28T04:48:00Z UTC", fields);

        var texts = AllTexts(message);
        Assert.Contains(texts, t => t.Contains("`198.51.100.7` `203.0.113.9` `192.0.2.44`", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("during learning", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("T1595.001 Scanning IP Blocks", StringComparison.Ordinal) && t.Contains(alert.Id, StringComparison.Ordinal));
    }

    [Fact]
    public void Workload_names_cannot_inject_markup()
    {
        var alert = AlertSamples.Alert(AlertSamples.PublicSweep(workload: "<b>evil & <!channel>"));
        var message = SlackMessageBuilder.Build(alert, SlackNotice.New, Link);

        var mrkdwn = AllTexts(message, "mrkdwn").Append((string)message["text"]!).ToList();
        Assert.Contains(mrkdwn, t => t.Contains("&lt;b&gt;evil &amp; &lt;!channel&gt;", StringComparison.Ordinal));
        Assert.DoesNotContain(mrkdwn, t => t.Contains("<b>", StringComparison.Ordinal) || t.Contains("<!channel>", StringComparison.Ordinal));
    }

    [Fact]
    public void Escalation_says_so_in_the_header()
    {
        var alert = AlertSamples.Alert(AlertSamples.PublicSweep(), version: 2);
        var header = (string)SlackMessageBuilder.Build(alert, SlackNotice.Escalation, Link)["blocks"]![0]!["text"]!["text"]!;
        Assert.StartsWith(":rotating_light: Escalated to HIGH: Port sweep: web-1", header, StringComparison.Ordinal);
    }

    [Fact]
    public void An_update_says_so_in_the_header_and_the_digest()
    {
        var alert = AlertSamples.Alert(AlertSamples.PublicSweep(), version: 3);
        var header = (string)SlackMessageBuilder.Build(alert, SlackNotice.Update, Link)["blocks"]![0]!["text"]!["text"]!;
        Assert.StartsWith(":rotating_light: Updated: Port sweep: web-1", header, StringComparison.Ordinal);

        var digest = SlackMessageBuilder.BuildDigest([(alert, SlackNotice.Update), (AlertSamples.Alert(AlertSamples.PublicSweep("web-2")), SlackNotice.New)], 0, new OrleansDetect.Grains.Alerts.AlertLinks(new Uri("https://console.example/"))).ToJsonString();
        Assert.Contains("*HIGH* (updated) ", digest, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(digest, @"\(updated\)"));
    }

    [Fact]
    public void At_most_ten_sample_targets()
    {
        var targets = Enumerable.Range(1, 30).Select(i => $"198.51.100.{i}").ToArray();
        var alert = AlertSamples.Alert(AlertSamples.PublicSweep() with { SampleTargets = targets });
        var sampleText = AllTexts(SlackMessageBuilder.Build(alert, SlackNotice.New, Link)).Single(t => t.StartsWith("*Sample targets*", StringComparison.Ordinal));

        Assert.Equal(10, sampleText.Count(c => c == '`') / 2);
        Assert.Contains("20 more", sampleText, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_characters_and_lone_surrogates_never_reach_the_message()
    {
        var alert = AlertSamples.Alert(AlertSamples.PublicSweep(workload: "bell\u0007-\ud800-host"));
        var json = SlackMessageBuilder.Build(alert, SlackNotice.New, Link).ToJsonString();

        Assert.DoesNotContain("\\u0007", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\\uD800", json, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("bell\uFFFD-\uFFFD-host", JsonNode.Parse(json)!["text"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static List<string> AllTexts(JsonNode node, string? type = null)
    {
        var texts = new List<string>();
        void Walk(JsonNode? n)
        {
            switch (n)
            {
                case JsonObject o:
                    if (o["text"] is JsonValue v && v.TryGetValue<string>(out var s) && (type is null || (string?)o["type"] == type))
                    {
                        texts.Add(s);
                    }

                    foreach (var (_, child) in o)
                    {
                        Walk(child);
                    }

                    break;
                case JsonArray a:
                    foreach (var child in a)
                    {
                        Walk(child);
                    }

                    break;
            }
        }

        Walk(node);
        return texts;
    }
}

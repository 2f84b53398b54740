using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using OrleansDetect.Grains.Alerts;

namespace OrleansDetect.Grains.Sinks.Slack;

/// <summary>Builds the Block Kit payload of an incoming-webhook message for an alert.</summary>
public static class SlackMessageBuilder
{
    public const int MaxSampleTargets = 10;

    // Block Kit rejects the whole message when a text is over its limit, so texts are cut to fit.
    private const int HeaderLimit = 150;
    private const int FieldLimit = 2000;
    private const int SectionLimit = 3000;

    /// <param name="link">The alert's page, linked from the message.</param>
    public static JsonObject Build(AlertRecord alert, SlackNotice notice, Uri link)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(link);
        var d = alert.Evidence;
        var severity = alert.Severity.Name();
        var title = SafeText.Clean(alert.Title);
        var headline = notice switch
        {
            SlackNotice.Escalation => $"Escalated to {severity.ToUpperInvariant()}: {title}",
            SlackNotice.Update => $"Updated: {title}",
            _ => title,
        };

        var blocks = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "header",
                // plain_text is not parsed for links or mentions, so it needs no escaping.
                ["text"] = new JsonObject
                {
                    ["type"] = "plain_text",
                    ["text"] = Cut($"{SeverityEmoji(alert.Severity)} {headline}", HeaderLimit),
                    ["emoji"] = true,
                },
            },
            new JsonObject
            {
                ["type"] = "section",
                ["fields"] = new JsonArray
                {
                    Field("Severity", severity),
                    Field("Workload", d.Workload),
                    Field("Port", d.Key.PortLabel),
                    Field(AlertText.TargetLabel(d), d.Key.TargetOrScope),
                    Field("Distinct targets", AlertText.CountText(d)),
                    Field("Window", $"{AlertText.Iso(d.WindowStartMs)} – {AlertText.Iso(d.WindowEndMs)} UTC"),
                },
            },
        };

        if (d.SampleTargets.Length > 0)
        {
            var samples = new StringBuilder("*Sample targets*\n");
            foreach (var target in d.SampleTargets.Take(MaxSampleTargets))
            {
                samples.Append('`').Append(Escape(target.Replace('`', '\''))).Append("` ");
            }

            if (d.SampleTargets.Length > MaxSampleTargets)
            {
                samples.Append(CultureInfo.InvariantCulture, $"… and {d.SampleTargets.Length - MaxSampleTargets} more in the sample");
            }

            blocks.Add(Section(samples.ToString().TrimEnd()));
        }

        if (d.DuringLearning)
        {
            blocks.Add(Section(":hourglass_flowing_sand: Raised *during learning*: judged on static thresholds while this workload's baseline is still being learned."));
        }

        if (alert.Acknowledged is { } acknowledged)
        {
            blocks.Add(Section(Escape($":eyes: Acknowledged {AlertText.Audit(acknowledged)}; still escalating.")));
        }

        blocks.Add(Section($"<{link.AbsoluteUri}|Open the alert>"));
        blocks.Add(new JsonObject
        {
            ["type"] = "actions",
            ["elements"] = new JsonArray
            {
                new JsonObject
                {
                    ["type"] = "button",
                    ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = "Open" },
                    ["url"] = link.AbsoluteUri,
                    ["action_id"] = "open-alert",
                },
            },
        });

        var context = new StringBuilder();
        if (d.Mitre.Length > 0)
        {
            context.Append("MITRE ATT&amp;CK: ").Append(Escape(string.Join(", ", d.Mitre.Select(AlertText.MitreLabel)))).Append(" | ");
        }

        context.Append(CultureInfo.InvariantCulture, $"threshold {d.Threshold} ({Escape(d.ThresholdReason)}) | ");
        context.Append(CultureInfo.InvariantCulture, $"alert `{Escape(alert.Id)}` v{alert.Version} | fingerprint `{Escape(alert.Fingerprint)}`");
        blocks.Add(new JsonObject
        {
            ["type"] = "context",
            ["elements"] = new JsonArray { Mrkdwn(Cut(context.ToString(), FieldLimit)) },
        });

        return new JsonObject
        {
            // Shown in notifications and by clients that do not render blocks: the severity first, then the link.
            ["text"] = Cut($"[{severity.ToUpperInvariant()}] {Escape(headline)} <{link.AbsoluteUri}|open>", FieldLimit),
            ["blocks"] = blocks,
        };
    }

    /// <summary>
    /// One message for a burst: a line per alert (severity, linked title, id), newest state of each, and how many
    /// are still queued behind it.
    /// </summary>
    public static JsonObject BuildDigest(IReadOnlyList<(AlertRecord Alert, SlackNotice Notice)> alerts, int stillQueued, AlertLinks links)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        ArgumentNullException.ThrowIfNull(links);
        var counts = alerts.GroupBy(a => a.Alert.Severity).OrderByDescending(g => g.Key)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key.Name()}"));
        var summary = string.Create(CultureInfo.InvariantCulture, $"{alerts.Count} alerts ({string.Join(", ", counts)})");
        var top = alerts.Max(a => a.Alert.Severity);
        var blocks = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "header",
                ["text"] = new JsonObject
                {
                    ["type"] = "plain_text",
                    ["text"] = Cut($"{SeverityEmoji(top)} Alert digest: {summary}", HeaderLimit),
                    ["emoji"] = true,
                },
            },
        };

        // Sections hold at most SectionLimit characters: as many lines as fit in each.
        var section = new StringBuilder();
        foreach (var (alert, notice) in alerts)
        {
            var marker = notice switch { SlackNotice.Escalation => " (escalated)", SlackNotice.Update => " (updated)", _ => "" };
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{SeverityEmoji(alert.Severity)} *{alert.Severity.Name().ToUpperInvariant()}*{marker} <{links.SlackPage(alert.Id).AbsoluteUri}|{Escape(Cut(SafeText.Clean(alert.Title), 200)).Replace("|", "¦", StringComparison.Ordinal)}> `{Escape(alert.Id)}`\n");
            if (section.Length + line.Length > SectionLimit)
            {
                blocks.Add(Section(section.ToString().TrimEnd()));
                section.Clear();
            }

            section.Append(line);
        }

        if (section.Length > 0) blocks.Add(Section(section.ToString().TrimEnd()));
        var context = stillQueued > 0
            ? string.Create(CultureInfo.InvariantCulture, $"More than one alert a second: grouped into one message. {stillQueued} more follow in the next message.")
            : "More than one alert a second: grouped into one message.";
        blocks.Add(new JsonObject { ["type"] = "context", ["elements"] = new JsonArray { Mrkdwn(context) } });

        return new JsonObject
        {
            ["text"] = Cut($"[{top.Name().ToUpperInvariant()}] Alert digest: {summary}", FieldLimit),
            ["blocks"] = blocks,
        };
    }

    /// <summary>
    /// Escapes the three characters Slack mrkdwn treats as markup (links, mentions) in text we did not write, after
    /// replacing control characters and unpaired surrogates (<see cref="SafeText"/>).
    /// </summary>
    public static string Escape(string text) =>
        SafeText.Clean(text).Replace("&", "&amp;", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal);

    private static string SeverityEmoji(Severity severity) => severity switch
    {
        Severity.High => ":rotating_light:",
        Severity.Medium => ":warning:",
        _ => ":information_source:",
    };

    private static JsonObject Field(string name, string value) => Mrkdwn(Cut($"*{name}*\n{Escape(value)}", FieldLimit));

    private static JsonObject Section(string text) => new()
    {
        ["type"] = "section",
        ["text"] = Mrkdwn(Cut(text, SectionLimit)),
    };

    // verbatim: a workload called "@channel" or "#general" must not ping or link anything.
    private static JsonObject Mrkdwn(string text) => new()
    {
        ["type"] = "mrkdwn",
        ["text"] = text,
        ["verbatim"] = true,
    };

    private static string Cut(string text, int limit) => text.Length <= limit ? text : string.Concat(text.AsSpan(0, limit - 1), "…");
}

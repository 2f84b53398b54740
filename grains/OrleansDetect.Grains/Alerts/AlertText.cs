using System.Globalization;
using System.Text;

namespace OrleansDetect.Grains.Alerts;

/// <summary>
/// The words people read about an alert: a one-line title and a plain-text evidence summary, shared by
/// the API, the RSS feed and Slack so every surface says the same thing.
/// </summary>
public static class AlertText
{
    private static readonly Dictionary<string, string> MitreNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["T1046"] = "Network Service Discovery",
        ["T1595"] = "Active Scanning",
        ["T1595.001"] = "Scanning IP Blocks",
        ["T1595.002"] = "Vulnerability Scanning",
        ["T1018"] = "Remote System Discovery",
        ["T1071.004"] = "Application Layer Protocol: DNS",
        ["T1573.002"] = "Encrypted Channel: Asymmetric Cryptography",
        ["T1572"] = "Protocol Tunneling",
        ["T1562"] = "Impair Defenses",
    };

    /// <summary>The MITRE ATT&amp;CK technique name for an id, or null when it is not one we name.</summary>
    public static string? MitreName(string techniqueId) => MitreNames.GetValueOrDefault(techniqueId);

    /// <summary>"T1046 Network Service Discovery", or the bare id when unknown.</summary>
    public static string MitreLabel(string techniqueId) =>
        MitreName(techniqueId) is { } name ? $"{techniqueId} {name}" : techniqueId;

    /// <summary>What the key's target-or-scope text is called: a scan's "Target", otherwise "Scope".</summary>
    public static string TargetLabel(Finding d) => d.Type is DetectionTypes.PortScan or DetectionTypes.SlowPortScan or DetectionTypes.DistributedScan ? "Target" : "Scope";

    /// <summary>The title, with "(sampled 1 in N)" when the counts come from sampled flows.</summary>
    public static string Title(Finding d) =>
        d.Evidence?.GetValueOrDefault(EvidenceKeys.Sampled) is { } sampled ? $"{BaseTitle(d)} (sampled {sampled})" : BaseTitle(d);

    private static string BaseTitle(Finding d)
    {
        var targets = CountText(d);
        var key = d.Key;
        return d.Type switch
        {
            DetectionTypes.PortSweep =>
                $"Port sweep: {d.Workload} probed {key.PortLabel} on {targets} {key.TargetOrScope} addresses",
            DetectionTypes.PortScan =>
                $"Port scan: {d.Workload} probed {targets} {key.Protocol.Name()} ports on {key.TargetOrScope}",
            DetectionTypes.SlowPortSweep =>
                $"Slow port sweep: {d.Workload} probed {key.PortLabel} on {targets} {key.TargetOrScope} addresses over {Span(d)}",
            DetectionTypes.SlowPortScan =>
                $"Slow port scan: {d.Workload} probed {targets} {key.Protocol.Name()} ports on {key.TargetOrScope} over {Span(d)}",
            DetectionTypes.ReconChain =>
                $"Sweep followed by scan: {d.Workload} swept {key.PortLabel} ({key.TargetOrScope}), then scanned {Hosts(d)} that answered it: {string.Join(", ", d.SampleTargets)}",
            DetectionTypes.FleetSweep =>
                $"Fleet-wide sweep: {d.DistinctTargets} workloads probed {key.PortLabel}: {Listed(d.SampleTargets, d.DistinctTargets)}",
            DetectionTypes.DistributedScan =>
                $"Distributed scan: {Workloads(d)} workloads probed {targets} {key.Protocol.Name()} ports on {key.TargetOrScope}",
            DetectionTypes.ReconIncident =>
                $"Recon incident: {d.Workload} swept {Evidenced(d, "ports swept")} ports and scanned {Evidenced(d, "hosts scanned")} hosts ({d.DistinctTargets} sweeps and scans in one incident)",
            DetectionTypes.UnusualEncryptedDns => EncryptedDnsTitle(d),
            DetectionTypes.TrackingCapacity =>
                $"Tracking capacity exceeded: {d.Workload} probed more distinct targets than the {key.TargetOrScope} windows track ({d.FailedAttempts} entries dropped; evasion suspected)",
            _ => $"{d.Type}: {d.Workload} {key.PortLabel} {key.TargetOrScope} ({targets} distinct targets)",
        };
    }

    /// <summary>
    /// What a responder needs without opening anything else, one named fact at a time, in reading order. Values
    /// are as detected (not yet made safe for any format: see <see cref="SafeText"/>).
    /// </summary>
    public static IReadOnlyList<(string Name, string Value)> Facts(AlertRecord a)
    {
        var d = a.Evidence;
        var facts = new List<(string, string)>
        {
            ("Severity", a.Severity.Name()),
            ("Workload", d.Workload),
            ("Type", d.Type),
            ("Protocol/port", d.Key.PortLabel),
            (TargetLabel(d), d.Key.TargetOrScope),
            ("Distinct targets", CountText(d)),
        };
        if (d.SampleTargets.Length > 0) facts.Add(("Sample targets", string.Join(", ", d.SampleTargets)));
        if (d.FailedAttempts > 0) facts.Add(("Failed attempts", d.FailedAttempts.ToString(CultureInfo.InvariantCulture)));
        facts.Add(("Window", $"{Iso(d.WindowStartMs)} to {Iso(d.WindowEndMs)} (UTC)"));
        facts.Add(("Threshold", string.Create(CultureInfo.InvariantCulture, $"{d.Threshold} ({d.ThresholdReason})")));
        if (d.DuringLearning)
        {
            facts.Add(("During learning", "yes: judged on static thresholds while the workload's baseline is still being learned"));
        }

        facts.Add(("Updates", a.Updates.ToString(CultureInfo.InvariantCulture)));
        facts.Add(("First seen", Iso(a.FirstSeen)));
        facts.Add(("Last seen", Iso(a.LastSeen)));
        if (d.RelatedAlertIds is { Length: > 0 } related) facts.Add(("Related alerts", string.Join(", ", related)));
        if (d.Mitre.Length > 0) facts.Add(("MITRE ATT&CK", string.Join("; ", d.Mitre.Select(MitreLabel))));
        if (d.Evidence is { Count: > 0 } extra)
        {
            foreach (var (name, value) in extra.OrderBy(e => e.Key, StringComparer.Ordinal)) facts.Add((name, value));
        }

        if (a.Acknowledged is { } acknowledged) facts.Add(("Acknowledged", Audit(acknowledged)));
        if (a.Resolved is { } resolved) facts.Add(("Resolved", Audit(resolved)));
        if (a.SilenceId is { } silence) facts.Add(("Silenced by", silence));
        facts.Add(("Alert id", a.Id));
        return facts;
    }

    /// <summary>"by NAME at TIME: note".</summary>
    public static string Audit(AlertAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var text = $"by {action.By} at {Iso(action.At)}";
        return string.IsNullOrWhiteSpace(action.Note) ? text : $"{text}: {action.Note}";
    }

    /// <summary>Plain text, one fact a line, under the title.</summary>
    public static string Describe(AlertRecord a)
    {
        var text = new StringBuilder(SafeText.Clean(a.Title)).Append("\n\n");
        foreach (var (name, value) in Facts(a)) text.Append(name).Append(": ").Append(SafeText.Clean(value)).Append('\n');
        return text.ToString().TrimEnd('\n');
    }

    /// <summary>
    /// The same facts as an HTML fragment (a paragraph and a two-column table), every value HTML-escaped and made
    /// safe: what feed readers render as the item's body.
    /// </summary>
    public static string DescribeHtml(AlertRecord a)
    {
        var html = new StringBuilder("<p>").Append(Html(a.Title)).Append("</p>\n<table>\n");
        foreach (var (name, value) in Facts(a))
        {
            html.Append("<tr><th align=\"left\">").Append(Html(name)).Append("</th><td>").Append(Html(value)).Append("</td></tr>\n");
        }

        return html.Append("</table>").ToString();
    }

    /// <summary>Text made safe and HTML-escaped (&amp;, &lt;, &gt;, quotes).</summary>
    public static string Html(string text) => System.Net.WebUtility.HtmlEncode(SafeText.Clean(text));

    /// <summary>ISO 8601 UTC to the second: "2026-11-28T04:47:57Z".</summary>
    public static string Iso(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Iso(long unixMs) => Iso(DateTimeOffset.FromUnixTimeMilliseconds(unixMs));

    /// <summary>"200", or "at least 200" when the window stopped counting at its cap.</summary>
    public static string CountText(Finding d)
    {
        var count = d.DistinctTargets.ToString(CultureInfo.InvariantCulture);
        return d.Saturated ? $"at least {count}" : count;
    }

    /// <summary>"a, b, c" or "a, b, c and 17 more".</summary>
    private static string Listed(string[] names, int total) =>
        total > names.Length ? string.Create(CultureInfo.InvariantCulture, $"{string.Join(", ", names)} and {total - names.Length} more") : string.Join(", ", names);

    /// <summary>The leading count of an evidence entry such as "1000: tcp/1, …".</summary>
    private static string Evidenced(Finding d, string name) =>
        d.Evidence?.GetValueOrDefault(name) is { } value ? value.Split(':')[0] : "0";

    private static string Workloads(Finding d) => d.Evidence?.GetValueOrDefault("workload count") ?? "several";

    private static string Hosts(Finding d) => d.DistinctTargets == 1 ? "1 host" : string.Create(CultureInfo.InvariantCulture, $"{d.DistinctTargets} hosts");

    /// <summary>"42 min" (or "3 h 5 min"): how long a slow finding's set has been open.</summary>
    private static string Span(Finding d)
    {
        var span = TimeSpan.FromMilliseconds(Math.Max(0, d.WindowEndMs - d.WindowStartMs));
        return span.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours} h {span.Minutes} min")
            : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (int)span.TotalMinutes)} min");
    }

    private static string EncryptedDnsTitle(Finding d)
    {
        var flavour = (d.Key.Protocol, d.Key.Port) switch
        {
            (FlowProtocol.Tcp, 853) => "DNS-over-TLS",
            (FlowProtocol.Udp, 853) => "DNS-over-QUIC",
            (_, 443) => "DNS-over-HTTPS",
            _ => $"encrypted DNS ({d.Key.PortLabel})",
        };
        var resolver = d.Evidence?.GetValueOrDefault(EvidenceKeys.Resolver)
            ?? (d.SampleTargets.Length > 0 ? d.SampleTargets[0] : d.Key.TargetOrScope);
        var reason = d.Evidence?.GetValueOrDefault(EvidenceKeys.Reason);
        return reason is null
            ? $"Unusual {flavour}: {d.Workload} → {resolver}"
            : $"Unusual {flavour}: {d.Workload} → {resolver} ({reason})";
    }
}

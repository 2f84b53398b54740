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
    };

    /// <summary>The MITRE ATT&amp;CK technique name for an id, or null when it is not one we name.</summary>
    public static string? MitreName(string techniqueId) => MitreNames.GetValueOrDefault(techniqueId);

    /// <summary>"T1046 Network Service Discovery", or the bare id when unknown.</summary>
    public static string MitreLabel(string techniqueId) =>
        MitreName(techniqueId) is { } name ? $"{techniqueId} {name}" : techniqueId;

    /// <summary>What the key's target-or-scope text is called: a scan's "Target", otherwise "Scope".</summary>
    public static string TargetLabel(Finding d) => d.Type == DetectionTypes.PortScan ? "Target" : "Scope";

    public static string Title(Finding d)
    {
        var targets = CountText(d);
        var key = d.Key;
        return d.Type switch
        {
            DetectionTypes.PortSweep =>
                $"Port sweep: {d.Workload} probed {key.PortLabel} on {targets} {key.TargetOrScope} addresses",
            DetectionTypes.PortScan =>
                $"Port scan: {d.Workload} probed {targets} {key.Protocol.Name()} ports on {key.TargetOrScope}",
            DetectionTypes.UnusualEncryptedDns => EncryptedDnsTitle(d),
            _ => $"{d.Type}: {d.Workload} {key.PortLabel} {key.TargetOrScope} ({targets} distinct targets)",
        };
    }

    /// <summary>Plain-text, one fact a line: what a responder needs without opening anything else.</summary>
    public static string Describe(AlertRecord a)
    {
        var d = a.Evidence;
        var text = new StringBuilder();
        void Line(string name, string value) => text.Append(name).Append(": ").Append(value).Append('\n');

        text.Append(a.Title).Append('\n').Append('\n');
        Line("Severity", a.Severity.Name());
        Line("Workload", d.Workload);
        Line("Type", d.Type);
        Line("Protocol/port", d.Key.PortLabel);
        Line(TargetLabel(d), d.Key.TargetOrScope);
        Line("Distinct targets", CountText(d));
        if (d.SampleTargets.Length > 0)
        {
            Line("Sample targets", string.Join(", ", d.SampleTargets));
        }

        if (d.FailedAttempts > 0)
        {
            Line("Failed attempts", d.FailedAttempts.ToString(CultureInfo.InvariantCulture));
        }

        Line("Window", $"{Iso(d.WindowStartMs)} to {Iso(d.WindowEndMs)} (UTC)");
        Line("Threshold", string.Create(CultureInfo.InvariantCulture, $"{d.Threshold} ({d.ThresholdReason})"));
        if (d.DuringLearning)
        {
            Line("During learning", "yes: judged on static thresholds while the workload's baseline is still being learned");
        }

        Line("Updates", a.Updates.ToString(CultureInfo.InvariantCulture));
        Line("First seen", Iso(a.FirstSeen));
        Line("Last seen", Iso(a.LastSeen));
        if (d.Mitre.Length > 0)
        {
            Line("MITRE ATT&CK", string.Join("; ", d.Mitre.Select(MitreLabel)));
        }

        if (d.Evidence is { Count: > 0 } extra)
        {
            foreach (var (name, value) in extra.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                Line(name, value);
            }
        }

        Line("Alert id", a.Id);
        return text.ToString().TrimEnd('\n');
    }

    /// <summary>ISO 8601 UTC to the second: "2026-11-28T04:47:57Z".</summary>
    public static string Iso(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Iso(long unixMs) => Iso(DateTimeOffset.FromUnixTimeMilliseconds(unixMs));

    /// <summary>"200", or "at least 200" when the window stopped counting at its cap.</summary>
    internal static string CountText(Finding d)
    {
        var count = d.DistinctTargets.ToString(CultureInfo.InvariantCulture);
        return d.Saturated ? $"at least {count}" : count;
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

namespace OrleansDetect;

/// <summary>How urgent an alert is; ordered so that a larger value is an escalation.</summary>
public enum Severity : byte
{
    Low = 1,
    Medium = 2,
    High = 3,
}

public static class SeverityNames
{
    /// <summary>The severity as the API, RSS, Slack and metrics spell it: "low", "medium", "high".</summary>
    public static string Name(this Severity severity) => severity switch
    {
        Severity.Low => "low",
        Severity.Medium => "medium",
        Severity.High => "high",
        _ => ((int)severity).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Parses "low", "medium" or "high" (case-insensitive).</summary>
    public static bool TryParse(string? text, out Severity severity)
    {
        severity = text?.ToLowerInvariant() switch
        {
            "low" => Severity.Low,
            "medium" => Severity.Medium,
            "high" => Severity.High,
            _ => 0,
        };
        return severity != 0;
    }
}

public static class FlowProtocolNames
{
    /// <summary>"tcp", "udp", "icmp", or the IANA number.</summary>
    public static string Name(this FlowProtocol protocol) => protocol switch
    {
        FlowProtocol.Tcp => "tcp",
        FlowProtocol.Udp => "udp",
        FlowProtocol.Icmp => "icmp",
        _ => ((int)protocol).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

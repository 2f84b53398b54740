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
}

using System.Globalization;

namespace OrleansDetect.Detection;

/// <summary>What slow sweep and scan findings say about the idle-expiry rule that caught them.</summary>
internal static class SlowFindings
{
    public const string IdleRuleKey = "slow";
    public const string LastNewTargetKey = "last new target";

    /// <summary>"slow: set open while a new target arrived within 15 min".</summary>
    public static string Rule(TimeSpan idleTimeout) => $"slow: set open while a new target arrived within {Minutes(idleTimeout)}";

    public static Dictionary<string, string> Evidence(bool saturated, long lastNewMs)
    {
        var evidence = new Dictionary<string, string>
        {
            [IdleRuleKey] = "too spread out for the sliding windows; caught by the idle-expiry tracker",
            [LastNewTargetKey] = DateTimeOffset.FromUnixTimeMilliseconds(lastNewMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
        if (saturated) evidence[EvidenceKeys.Saturated] = "true";
        return evidence;
    }

    private static string Minutes(TimeSpan span) =>
        span.TotalMinutes >= 1 && span.TotalMinutes == Math.Floor(span.TotalMinutes)
            ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalMinutes:0} min")
            : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.###} s");
}

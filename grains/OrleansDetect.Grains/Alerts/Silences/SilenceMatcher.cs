using System.Net;

namespace OrleansDetect.Grains.Alerts.Silences;

/// <summary>
/// A silence's matchers in the form matched on every detection: a glob split into its literal parts, a parsed
/// network. Plain code, no Orleans.
/// </summary>
public sealed class SilenceMatcher
{
    private readonly string[]? _workloadParts;
    private readonly IPNetwork? _network;

    public SilenceMatcher(Silence silence)
    {
        ArgumentNullException.ThrowIfNull(silence);
        Silence = silence;
        _workloadParts = silence.Workload?.Split('*');
        _network = silence.Cidr is { } cidr && IPNetwork.TryParse(cidr, out var network) ? network : null;
    }

    public Silence Silence { get; }

    /// <summary>True when the silence is active at <paramref name="now"/> and every one of its matchers matches.</summary>
    public bool Matches(Finding finding, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(finding);
        if (now < Silence.StartsAt || now >= Silence.EndsAt) return false;
        var key = finding.Key;
        if (Silence.Port is { } port && (key.Port ?? 0) != port) return false;
        if (Silence.Type is { } type && !string.Equals(type, key.Type, StringComparison.Ordinal)) return false;
        if (_workloadParts is not null && !Glob(_workloadParts, key.Subject.Name)) return false;
        return _network is not { } network || InNetwork(network, finding);
    }

    /// <summary>The workload matcher: <c>*</c> matches any run of characters; nothing else is special.</summary>
    public static bool Glob(string[] parts, string text)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(text);
        if (parts.Length == 1) return string.Equals(parts[0], text, StringComparison.Ordinal);
        if (!text.StartsWith(parts[0], StringComparison.Ordinal)) return false;
        var at = parts[0].Length;
        for (var i = 1; i < parts.Length - 1; i++)
        {
            var found = text.IndexOf(parts[i], at, StringComparison.Ordinal);
            if (found < 0) return false;
            at = found + parts[i].Length;
        }

        var last = parts[^1];
        return text.Length - at >= last.Length && text.EndsWith(last, StringComparison.Ordinal);
    }

    private static bool InNetwork(IPNetwork network, Finding finding)
    {
        if (finding.Key.Target is { } target) return network.Contains(target.ToIPAddress());
        if (finding.SampleTargets.Length == 0) return false;
        foreach (var sample in finding.SampleTargets)
        {
            if (!IPAddress.TryParse(sample, out var address) || !network.Contains(address)) return false;
        }

        return true;
    }
}

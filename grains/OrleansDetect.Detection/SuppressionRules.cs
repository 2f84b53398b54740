using System.IO.Enumeration;

namespace OrleansDetect.Detection;

/// <summary>
/// The operator's allowlist (<c>Detection:Suppress:N:*</c>): a detection matching a rule is counted against that
/// rule instead of being reported. A rule matches when every field it sets matches: the workload pattern
/// (<c>*</c>, <c>?</c>, case-insensitive), the detection type, the port (sweeps and encrypted DNS; a scan spans
/// ports, so a rule with a port never matches a scan), and the CIDR, which must hold every target the detection
/// names (the resolver, the scanned host, or each sampled sweep destination).
/// </summary>
public sealed class SuppressionRules
{
    private readonly Rule[] _rules;

    public SuppressionRules(IEnumerable<SuppressionRuleOptions> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = [.. rules.Select((r, i) => new Rule(
            string.IsNullOrWhiteSpace(r.Workload) ? null : r.Workload.Trim(),
            string.IsNullOrWhiteSpace(r.Type) ? null : r.Type.Trim(),
            r.Cidr is null ? null : CidrBlock.TryParse(r.Cidr, out var block) ? block : throw new FormatException($"Detection:Suppress:{i}:Cidr '{r.Cidr}' is not a CIDR"),
            r.Port,
            string.IsNullOrWhiteSpace(r.Reason) ? $"rule {i}" : r.Reason.Trim()))];
    }

    public static SuppressionRules None { get; } = new([]);

    public int Count => _rules.Length;

    /// <summary>The rule's reason, or "rule N" when it gave none.</summary>
    public string Reason(int rule) => _rules[rule].Reason;

    /// <summary>The index of the first rule that matches <paramref name="finding"/>, or -1.</summary>
    public int Match(Finding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        for (var i = 0; i < _rules.Length; i++)
        {
            if (_rules[i].Matches(finding))
            {
                return i;
            }
        }

        return -1;
    }

    private sealed record Rule(string? Workload, string? Type, CidrBlock? Cidr, int? Port, string Reason)
    {
        public bool Matches(Finding f)
        {
            var key = f.Key;
            if (Type is not null && !string.Equals(Type, key.Type, StringComparison.OrdinalIgnoreCase)) return false;
            if (Port is { } port && key.Port != port) return false;
            if (Workload is not null && (key.Workload is not { } workload || !FileSystemName.MatchesSimpleExpression(Workload, workload, ignoreCase: true))) return false;
            if (Cidr is { } cidr)
            {
                if (key.Target is { } target) return cidr.Contains(target);
                if (f.SampleTargets.Length == 0) return false;
                foreach (var sample in f.SampleTargets)
                {
                    if (!NetAddress.TryParse(sample, out var address) || !cidr.Contains(address)) return false;
                }
            }

            return true;
        }
    }
}

using System.IO.Enumeration;

namespace OrleansDetect.Detectors;

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

    /// <summary>The index of the first rule that matches <paramref name="detection"/>, or -1.</summary>
    public int Match(DetectionReport detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        for (var i = 0; i < _rules.Length; i++)
        {
            if (_rules[i].Matches(detection))
            {
                return i;
            }
        }

        return -1;
    }

    private sealed record Rule(string? Workload, string? Type, CidrBlock? Cidr, int? Port, string Reason)
    {
        public bool Matches(DetectionReport d)
        {
            if (Type is not null && !string.Equals(Type, d.Type, StringComparison.OrdinalIgnoreCase)) return false;
            if (Port is { } port && (d.Type == DetectionTypes.PortScan || d.Port != port)) return false;
            if (Workload is not null && !FileSystemName.MatchesSimpleExpression(Workload, d.Workload, ignoreCase: true)) return false;
            if (Cidr is { } cidr)
            {
                IReadOnlyList<string> targets = d.Type == DetectionTypes.PortScan ? [d.Scope] : d.SampleTargets;
                if (targets.Count == 0) return false;
                foreach (var target in targets)
                {
                    if (!NetAddress.TryParse(target, out var address) || !cidr.Contains(address)) return false;
                }
            }

            return true;
        }
    }
}

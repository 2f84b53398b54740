using System.Net;
using OrleansDetect.Ingest;

namespace OrleansDetect.Client.Send;

/// <summary>
/// <c>send --workload CIDR=NAME</c> and <c>--workloads FILE</c>: names for hosts a log knows only by address (Zeek's
/// <c>id.orig_h</c>, an NDJSON line without <c>host</c>), as the collector's <c>Workloads__N__Cidr</c> rules do.
/// The longest matching prefix wins; an address no rule covers stays its own workload.
/// </summary>
internal sealed class WorkloadNames
{
    // The gateway's limit on a host value.
    private const int MaxNameLength = 256;

    private readonly (IPNetwork Network, string Name)[] _rules;
    private readonly Dictionary<NetAddress, string?> _cache = [];

    private WorkloadNames((IPNetwork Network, string Name)[] rules) =>
        _rules = [.. rules.OrderByDescending(r => r.Network.PrefixLength)];

    public int Count => _rules.Length;

    /// <summary>The name the rules give <paramref name="address"/>; null when none covers it.</summary>
    public string? NameOf(NetAddress address)
    {
        if (_cache.TryGetValue(address, out var cached)) return cached;
        var ip = IPAddress.Parse(address.ToString());
        string? name = null;
        foreach (var (network, ruleName) in _rules)
        {
            if (network.Contains(ip))
            {
                name = ruleName;
                break;
            }
        }

        // Bounded: a log with millions of distinct sources keeps only the first ones' answers.
        if (_cache.Count < 100_000) _cache[address] = name;
        return name;
    }

    /// <summary>
    /// Reads the rules of the command line (<c>10.0.0.5=web-1</c>, <c>10.1.0.0/16=batch</c>) and of files holding one
    /// <c>CIDR NAME</c> per line ('#' comments and blank lines allowed). Null, with <paramref name="problem"/> naming
    /// the option or file and line, when a rule cannot be read.
    /// </summary>
    public static WorkloadNames? Parse(IEnumerable<string> options, IEnumerable<string> files, out string? problem)
    {
        var rules = new List<(IPNetwork, string)>();
        foreach (var option in options)
        {
            var equals = option.IndexOf('=', StringComparison.Ordinal);
            string? why = "expected CIDR=NAME, e.g. 10.0.0.5=web-1";
            if (equals < 0 || !TryRule(option[..equals], option[(equals + 1)..], rules, out why))
            {
                problem = $"--workload '{option}': {why}";
                return null;
            }
        }

        foreach (var file in files)
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problem = $"--workloads: cannot read {file}: {e.Message}";
                return null;
            }

            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                var comment = line.IndexOf('#', StringComparison.Ordinal);
                if (comment >= 0) line = line[..comment];
                var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 0) continue;
                string? why = $"expected 'CIDR NAME', got {fields.Length} fields";
                if (fields.Length != 2 || !TryRule(fields[0], fields[1], rules, out why))
                {
                    problem = $"--workloads {file} line {i + 1}: {why}";
                    return null;
                }
            }
        }

        problem = null;
        return new WorkloadNames([.. rules]);
    }

    private static bool TryRule(string cidr, string name, List<(IPNetwork, string)> rules, out string? problem)
    {
        cidr = cidr.Trim();
        name = name.Trim();
        problem = null;
        if (name.Length == 0)
        {
            problem = "the workload name is empty";
            return false;
        }

        if (name.Length > MaxNameLength)
        {
            problem = $"the workload name is longer than {MaxNameLength} characters";
            return false;
        }

        if (IPNetwork.TryParse(cidr, out var network))
        {
            rules.Add((network, name));
            return true;
        }

        if (IPAddress.TryParse(cidr, out var address))
        {
            rules.Add((new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128), name));
            return true;
        }

        problem = $"'{cidr}' is not an address or a CIDR (10.0.0.5, 10.1.0.0/16, fd00::/8)";
        return false;
    }
}

using System.Text.Json;

namespace OrleansDetect.Detection;

/// <summary>
/// Well-known public DNS resolvers (shipped in <c>known-resolvers.json</c>) plus the operator's own
/// (<c>Detection:EncryptedDns:Resolvers</c>). Single addresses are one dictionary probe, so checking every
/// 443 flow stays cheap; the few real prefixes (NextDNS, Control D) are a short scan.
/// </summary>
public sealed class KnownResolvers
{
    private const string ResourceName = "OrleansDetect.known-resolvers.json";

    private readonly Dictionary<NetAddress, string> _hosts = [];
    private readonly List<(CidrBlock Block, string Name)> _networks = [];

    private KnownResolvers()
    {
    }

    /// <summary>The shipped list only.</summary>
    public static KnownResolvers Shipped { get; } = Load([]);

    public int Count => _hosts.Count + _networks.Count;

    /// <summary>The shipped list plus <paramref name="extra"/> (validated on start: each Cidr parses).</summary>
    public static KnownResolvers Load(IEnumerable<ResolverEntry> extra)
    {
        ArgumentNullException.ThrowIfNull(extra);
        var known = new KnownResolvers();
        using (var stream = typeof(KnownResolvers).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing"))
        using (var document = JsonDocument.Parse(stream))
        {
            foreach (var resolver in document.RootElement.GetProperty("resolvers").EnumerateArray())
            {
                var name = resolver.GetProperty("name").GetString()!;
                foreach (var network in resolver.GetProperty("networks").EnumerateArray())
                {
                    known.Add(network.GetString()!, name);
                }
            }
        }

        foreach (var entry in extra)
        {
            known.Add(entry.Cidr, string.IsNullOrWhiteSpace(entry.Name) ? entry.Cidr : entry.Name);
        }

        return known;
    }

    /// <summary>The resolver's name when <paramref name="address"/> is a known resolver, else null.</summary>
    public string? Find(NetAddress address)
    {
        if (_hosts.TryGetValue(address, out var name))
        {
            return name;
        }

        foreach (var (block, networkName) in _networks)
        {
            if (block.Contains(address))
            {
                return networkName;
            }
        }

        return null;
    }

    private void Add(string cidr, string name)
    {
        if (!CidrBlock.TryParse(cidr, out var block))
        {
            throw new FormatException($"'{cidr}' ({name}) is not a CIDR or address");
        }

        if (block.PrefixLength == 128)
        {
            _hosts[new NetAddress(block.Hi, block.Lo)] = name;
        }
        else
        {
            _networks.Add((block, name));
        }
    }
}

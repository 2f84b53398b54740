using System.Net;
using System.Net.Sockets;

namespace OrleansDetect.Detection;

/// <summary>
/// Classifies destinations as public, internal or not a target. The built-in ranges are bit tests on the
/// packed address (no allocation); the operator's own networks are a short precomputed list of 128-bit masks.
/// </summary>
public sealed class NetworkScope
{
    /// <summary>The built-in ranges only.</summary>
    public static NetworkScope Default { get; } = new([]);

    private readonly CidrBlock[] _internalNetworks;

    public NetworkScope(IEnumerable<IPNetwork> internalNetworks)
    {
        ArgumentNullException.ThrowIfNull(internalNetworks);
        _internalNetworks = internalNetworks.Select(CidrBlock.From).ToArray();
    }

    /// <summary>Builds the scope from <see cref="NetworkScopeOptions.InternalNetworks"/> (validated on start).</summary>
    public static NetworkScope FromOptions(NetworkScopeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new NetworkScope(options.InternalNetworks.Select(IPNetwork.Parse));
    }

    public TargetScope Classify(NetAddress address)
    {
        var scope = address.IsV4 ? ClassifyV4(address.V4) : ClassifyV6(address.Hi, address.Lo);
        if (scope == TargetScope.Public)
        {
            foreach (ref readonly var network in _internalNetworks.AsSpan())
            {
                if (network.Contains(address))
                {
                    return TargetScope.Internal;
                }
            }
        }

        return scope;
    }

    private static TargetScope ClassifyV4(uint v4)
    {
        // The first octet picks the candidate range (a jump table); one mask test settles it.
        switch (v4 >> 24)
        {
            case 10: // RFC 1918 10/8
            case 127: // loopback 127/8
                return TargetScope.Internal;
            case 172: // RFC 1918 172.16/12
                return (v4 & 0x00F0_0000) == 0x0010_0000 ? TargetScope.Internal : TargetScope.Public;
            case 192: // RFC 1918 192.168/16
                return (v4 & 0x00FF_0000) == 0x00A8_0000 ? TargetScope.Internal : TargetScope.Public;
            case 100: // RFC 6598 CGNAT 100.64/10
                return (v4 & 0x00C0_0000) == 0x0040_0000 ? TargetScope.Internal : TargetScope.Public;
            case 169: // link-local 169.254/16
                return (v4 & 0x00FF_0000) == 0x00FE_0000 ? TargetScope.Internal : TargetScope.Public;
            case 0: // only 0.0.0.0 itself is "unspecified"; the rest of 0/8 is probing like any other
                return v4 == 0 ? TargetScope.NotATarget : TargetScope.Public;
            case 255: // limited broadcast; the rest of 240/4 is reserved unicast, hence public
                return v4 == 0xFFFF_FFFF ? TargetScope.NotATarget : TargetScope.Public;
            default: // multicast 224/4
                return (v4 >> 28) == 0xE ? TargetScope.NotATarget : TargetScope.Public;
        }
    }

    private static TargetScope ClassifyV6(ulong hi, ulong lo)
    {
        if (hi == 0)
        {
            return lo switch
            {
                0 => TargetScope.NotATarget, // ::
                1 => TargetScope.Internal, // ::1
                _ => TargetScope.Public,
            };
        }

        return (hi >> 56) == 0xFF ? TargetScope.NotATarget // multicast ff00::/8
            : (hi >> 57) == 0x7E ? TargetScope.Internal // ULA fc00::/7
            : (hi >> 54) == 0x3FA ? TargetScope.Internal // link-local fe80::/10
            : TargetScope.Public;
    }
}

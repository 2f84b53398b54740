using System.Net;
using System.Net.Sockets;

namespace OrleansDetect.Detection;

/// <summary>A network as a 128-bit prefix and mask; IPv4 networks are mapped like <see cref="NetAddress"/> holds IPv4.</summary>
internal readonly record struct CidrBlock(ulong Hi, ulong Lo, ulong MaskHi, ulong MaskLo)
{
    public int PrefixLength => System.Numerics.BitOperations.PopCount(MaskHi) + System.Numerics.BitOperations.PopCount(MaskLo);

    public bool Contains(NetAddress address) =>
        (address.Hi & MaskHi) == Hi && (address.Lo & MaskLo) == Lo;

    public static CidrBlock From(IPNetwork network)
    {
        var baseAddress = network.BaseAddress;
        var prefix = network.PrefixLength;
        if (baseAddress.AddressFamily == AddressFamily.InterNetwork)
        {
            prefix += 96;
        }

        var packed = NetAddress.FromIPAddress(baseAddress);
        var maskHi = prefix >= 64 ? ulong.MaxValue : prefix == 0 ? 0 : ulong.MaxValue << (64 - prefix);
        var maskLo = prefix <= 64 ? 0 : prefix == 128 ? ulong.MaxValue : ulong.MaxValue << (128 - prefix);
        return new CidrBlock(packed.Hi & maskHi, packed.Lo & maskLo, maskHi, maskLo);
    }

    /// <summary>Parses "10.0.0.0/8", "2001:db8::/32", or a bare address (a single-host network).</summary>
    public static bool TryParse(string? text, out CidrBlock block)
    {
        block = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text.Contains('/'))
        {
            if (!IPNetwork.TryParse(text, out var network))
            {
                return false;
            }

            block = From(network);
            return true;
        }

        if (!IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        block = From(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
        return true;
    }
}

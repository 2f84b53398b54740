using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace OrleansDetect;

/// <summary>
/// An IPv4 or IPv6 address packed into 128 bits; IPv4 is held in its IPv4-mapped IPv6 form
/// (<c>::ffff:a.b.c.d</c>). A value type so windows can key on it without allocating.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct NetAddress([property: Id(0)] ulong Hi, [property: Id(1)] ulong Lo)
{
    private const ulong V4MappedLoPrefix = 0x0000_FFFF_0000_0000UL;

    public bool IsV4 => Hi == 0 && (Lo & 0xFFFF_FFFF_0000_0000UL) == V4MappedLoPrefix;

    /// <summary>The IPv4 address as a big-endian-ordered integer (a.b.c.d = a&lt;&lt;24|…); only meaningful when <see cref="IsV4"/>.</summary>
    public uint V4 => (uint)Lo;

    public static NetAddress FromV4(uint address) => new(0, V4MappedLoPrefix | address);

    public static NetAddress FromV4(byte a, byte b, byte c, byte d) =>
        FromV4(((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | d);

    public static NetAddress FromIPAddress(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return FromV4(BinaryPrimitives.ReadUInt32BigEndian(bytes));
        }

        address.TryWriteBytes(bytes, out _);
        return new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
    }

    public static bool TryParse(ReadOnlySpan<char> text, out NetAddress address)
    {
        if (IPAddress.TryParse(text, out var ip))
        {
            address = FromIPAddress(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip);
            return true;
        }

        address = default;
        return false;
    }

    public static NetAddress Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not an IP address");

    public IPAddress ToIPAddress()
    {
        if (IsV4)
        {
            Span<byte> v4 = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(v4, V4);
            return new IPAddress(v4);
        }

        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, Hi);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], Lo);
        return new IPAddress(bytes);
    }

    public override string ToString() => ToIPAddress().ToString();
}

using System.Buffers;
using System.Text;

namespace OrleansDetect.Ingest;

/// <summary>Parses addresses straight from UTF-8: IPv4 by hand (the common case, no allocation), IPv6 through <see cref="NetAddress.TryParse"/>.</summary>
internal static class NetAddressText
{
    // Longest IPv6 text (45 chars) plus room for a zone id such as "%eth0".
    private const int MaxV6Length = 64;

    /// <summary>
    /// Accepts only canonical dotted-quad IPv4 (no leading zeros, no shortened or hex forms that
    /// <see cref="System.Net.IPAddress"/> tolerates, since "010.0.0.1" means 8.0.0.1 to some tools and 10.0.0.1 to others) or IPv6.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out NetAddress address)
    {
        if (TryParseV4(text, out var v4))
        {
            address = NetAddress.FromV4(v4);
            return true;
        }

        if (!text.Contains((byte)':'))
        {
            address = default;
            return false;
        }

        Span<char> chars = stackalloc char[MaxV6Length];
        if (text.Length > MaxV6Length || Ascii.ToUtf16(text, chars, out var written) != OperationStatus.Done)
        {
            address = default;
            return false;
        }

        return NetAddress.TryParse(chars[..written], out address);
    }

    private static bool TryParseV4(ReadOnlySpan<byte> text, out uint address)
    {
        address = 0;
        var i = 0;
        for (var octet = 0; octet < 4; octet++)
        {
            if (octet > 0)
            {
                if (i >= text.Length || text[i] != '.')
                {
                    return false;
                }

                i++;
            }

            var start = i;
            uint value = 0;
            while (i < text.Length && i - start < 3 && (uint)(text[i] - '0') <= 9)
            {
                value = (value * 10) + (uint)(text[i] - '0');
                i++;
            }

            var digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0'))
            {
                return false;
            }

            address = (address << 8) | value;
        }

        return i == text.Length;
    }
}

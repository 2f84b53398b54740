using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrleansDetect.Silo.Hosting;

/// <summary>
/// The console's sign-in cookie: <c>{role}|{expires}|{name}</c> and an HMAC-SHA256 of it keyed by the signing key's
/// hash, so the cookie holds no key, every silo with the same keys accepts it, and removing a key ends its sessions.
/// HttpOnly and SameSite=Strict; an unsafe request (POST, DELETE) that relies on it must also carry
/// <see cref="CsrfHeader"/>, which a cross-site form cannot send and cross-site script may not (no CORS is offered).
/// </summary>
public static class ConsoleSession
{
    public const string CookieName = "orleansdetect_session";

    /// <summary>The header the console's own script sends with every change it asks for.</summary>
    public const string CsrfHeader = "X-OrleansDetect-Console";

    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    /// <summary>The cookie value for a session signed with <paramref name="keyHash"/>.</summary>
    public static string Issue(byte[] keyHash, KeyRole role, string name, DateTimeOffset now)
    {
        var payload = string.Create(CultureInfo.InvariantCulture, $"{role}|{(now + Lifetime).ToUnixTimeSeconds()}|{name}");
        var bytes = Encoding.UTF8.GetBytes(payload);
        return Base64Url(bytes) + "." + Base64Url(HMACSHA256.HashData(keyHash, bytes));
    }

    /// <summary>The session's role and name when the cookie is genuine (signed by one of <paramref name="keys"/>) and unexpired.</summary>
    public static (KeyRole Role, string Name)? Read(string? cookie, IEnumerable<(byte[] Hash, KeyRole Role)> keys, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(cookie) || cookie.Length > 1024) return null;
        var dot = cookie.IndexOf('.');
        if (dot <= 0) return null;
        byte[] payload, mac;
        try
        {
            payload = FromBase64Url(cookie[..dot]);
            mac = FromBase64Url(cookie[(dot + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }

        var parts = Encoding.UTF8.GetString(payload).Split('|', 3);
        if (parts.Length != 3 || !Enum.TryParse<KeyRole>(parts[0], out var role) ||
            !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || now.ToUnixTimeSeconds() >= expires)
        {
            return null;
        }

        // Every key is tried, so the time says nothing about which one signed it; the signer's role must cover the claim.
        var genuine = false;
        foreach (var (hash, keyRole) in keys)
        {
            genuine |= CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(hash, payload), mac) && (keyRole == role);
        }

        return genuine ? (role, parts[2]) : null;
    }

    public static CookieOptions CookieOptions(HttpRequest request, DateTimeOffset now) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = request.IsHttps,
        Path = "/",
        Expires = now + Lifetime,
        IsEssential = true,
    };

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }
}

using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace OrleansDetect.Silo.Hosting;

/// <summary>Checks <c>Authorization: Bearer &lt;key&gt;</c> against the configured ingest keys in constant time.</summary>
public sealed class ApiKeyCheck
{
    private readonly byte[][] _keyHashes;

    public ApiKeyCheck(IOptions<IngestOptions> options)
    {
        _keyHashes = options.Value.ApiKeys
            .Where(k => !string.IsNullOrWhiteSpace(k))
            .Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k.Trim())))
            .ToArray();
    }

    public bool Required => _keyHashes.Length > 0;

    /// <param name="request">The request whose <c>Authorization</c> header is checked.</param>
    /// <param name="allowBasic">Also accept <c>Basic</c> credentials whose password is a key (for browsers).</param>
    public bool IsAuthorized(HttpRequest request, bool allowBasic = false)
    {
        if (!Required) return true;
        var header = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        const string basic = "Basic ";
        if (header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)) return Matches(header[bearer.Length..].Trim());
        if (allowBasic && header.StartsWith(basic, StringComparison.OrdinalIgnoreCase)) return Matches(BasicPassword(header[basic.Length..].Trim()));
        return false;
    }

    private static string BasicPassword(string encoded)
    {
        try
        {
            var credentials = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            var colon = credentials.IndexOf(':');
            return colon < 0 ? "" : credentials[(colon + 1)..].Trim();
        }
        catch (FormatException)
        {
            return "";
        }
    }

    private bool Matches(string candidate)
    {
        if (candidate.Length == 0) return false;

        // Hashing first gives equal-length inputs, so the comparison time says nothing about the key.
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(candidate));
        var match = false;
        foreach (var key in _keyHashes)
        {
            match |= CryptographicOperations.FixedTimeEquals(presented, key);
        }

        return match;
    }
}

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

    public bool IsAuthorized(HttpRequest request)
    {
        if (!Required) return true;
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;

        // Hashing first gives equal-length inputs, so the comparison time says nothing about the key.
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        var match = false;
        foreach (var key in _keyHashes)
        {
            match |= CryptographicOperations.FixedTimeEquals(presented, key);
        }

        return match;
    }
}

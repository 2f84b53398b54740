using System.Security.Cryptography;
using System.Text;

namespace OrleansDetect;

/// <summary>
/// Alert ids are "{grain key}-{n}": the alert grain's key — 16 hex digits of the SHA-256 of the
/// <see cref="AlertKey.Fingerprint"/>, so ids are URL-safe and stable across restarts and releases — and the
/// how-many-th alert that key has opened.
/// </summary>
public static class AlertIds
{
    /// <summary>The <see cref="IAlertGrain"/> key for an alert key.</summary>
    public static string GrainKey(AlertKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return GrainKey(key.Fingerprint);
    }

    /// <summary>The <see cref="IAlertGrain"/> key for a fingerprint: 16 hex digits of its SHA-256.</summary>
    public static string GrainKey(string fingerprint)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }

    public static string Format(string grainKey, int sequence) => $"{grainKey}-{sequence}";

    /// <summary>Splits an alert id into its grain key and sequence; false when it is not one.</summary>
    public static bool TryParse(string? alertId, out string grainKey, out int sequence)
    {
        grainKey = "";
        sequence = 0;
        if (alertId is null) return false;
        var dash = alertId.IndexOf('-');
        if (dash != 16 || !int.TryParse(alertId.AsSpan(dash + 1), out sequence) || sequence < 1) return false;
        foreach (var c in alertId.AsSpan(0, dash))
        {
            if (!char.IsAsciiHexDigitLower(c)) return false;
        }

        grainKey = alertId[..dash];
        return true;
    }
}

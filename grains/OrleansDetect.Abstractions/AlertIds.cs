using System.Security.Cryptography;
using System.Text;

namespace OrleansDetect;

/// <summary>
/// Alert ids are "{grain key}-{n}": the alert grain's key — 16 hex digits of the SHA-256 of the
/// <see cref="AlertKey.Fingerprint"/>, so ids are URL-safe and name their grain across restarts and releases — and a
/// number that grows with every alert the key opens: the Unix time in seconds at which the alert opened, or one
/// more than the key's previous number when that is larger. A key whose stored state is gone (memory storage after a
/// restart) therefore never issues an id it issued before. Alerts stored by 0.1 have small numbers (1, 2, …).
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

    public static string Format(string grainKey, long number) => $"{grainKey}-{number}";

    /// <summary>The number of the next alert after <paramref name="previous"/>, opened at <paramref name="openedAt"/>.</summary>
    public static long Next(long previous, DateTimeOffset openedAt) => Math.Max(previous + 1, openedAt.ToUnixTimeSeconds());

    /// <summary>Splits an alert id into its grain key and number; false when it is not one.</summary>
    public static bool TryParse(string? alertId, out string grainKey, out long number)
    {
        grainKey = "";
        number = 0;
        if (alertId is null) return false;
        var dash = alertId.IndexOf('-');
        if (dash != 16 || !long.TryParse(alertId.AsSpan(dash + 1), System.Globalization.NumberStyles.None, null, out number) || number < 1) return false;
        foreach (var c in alertId.AsSpan(0, dash))
        {
            if (!char.IsAsciiHexDigitLower(c)) return false;
        }

        grainKey = alertId[..dash];
        return true;
    }
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace OrleansDetect.Client;

/// <summary>Durations as people type them: "30s", "2m", "1h30m", "500ms", a bare number of seconds, or "00:01:30".</summary>
internal static partial class DurationText
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds < 0 || double.IsNaN(seconds) || double.IsInfinity(seconds)) return false;
            duration = TimeSpan.FromSeconds(seconds);
            return true;
        }

        var parts = Parts().Matches(text);
        if (parts.Count > 0 && parts.Sum(m => m.Length) == text.Length)
        {
            foreach (Match part in parts)
            {
                var value = double.Parse(part.Groups["value"].Value, CultureInfo.InvariantCulture);
                duration += part.Groups["unit"].Value switch
                {
                    "ms" => TimeSpan.FromMilliseconds(value),
                    "s" => TimeSpan.FromSeconds(value),
                    "m" => TimeSpan.FromMinutes(value),
                    _ => TimeSpan.FromHours(value),
                };
            }

            return true;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
    }

    [GeneratedRegex(@"(?<value>\d+(\.\d+)?)(?<unit>ms|s|m|h)", RegexOptions.CultureInvariant)]
    private static partial Regex Parts();
}

using OrleansDetect.Grains.Alerts;

namespace OrleansDetect.Silo.Api;

/// <summary>The alert list's query parameters: a value that can match nothing is a 400 naming the parameter, not an empty list.</summary>
public static class AlertFilters
{
    public static readonly string[] Severities = [Severity.Low.Name(), Severity.Medium.Name(), Severity.High.Name()];

    /// <summary>The 400 answer for the first bad parameter, or null.</summary>
    public static IResult? Invalid(string? severity, string? state, string? type)
    {
        if (severity is not null && !Severities.Contains(severity, StringComparer.OrdinalIgnoreCase))
        {
            return Bad("severity", severity, string.Join(", ", Severities));
        }

        if (state is not null && !AlertStates.All.Contains(state, StringComparer.OrdinalIgnoreCase))
        {
            return Bad("state", state, string.Join(", ", AlertStates.All));
        }

        // Types are open-ended (new detections add theirs), so only their spelling is checked.
        if (type is not null && (type.Length is 0 or > 64 || !type.All(c => char.IsAsciiLetter(c) || char.IsAsciiDigit(c) || c == '-')))
        {
            return RequestJson.BadRequest($"Query parameter 'type' must be a detection type such as {DetectionTypes.PortSweep}; got '{SafeText.Clean(type)}'.");
        }

        return null;
    }

    private static IResult Bad(string parameter, string value, string allowed) =>
        RequestJson.BadRequest($"Query parameter '{parameter}' must be one of {allowed}; got '{SafeText.Clean(value)}'.");
}

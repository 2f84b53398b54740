using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace OrleansDetect.Silo.Api;

/// <summary>
/// A small JSON request body read field by field, so every bad value is a 400 that names its field (model binding
/// would answer one generic error for the whole body).
/// </summary>
public sealed class RequestJson
{
    /// <summary>Bodies of the workflow and silence endpoints are small; anything larger is refused unread.</summary>
    public const int MaxBytes = 64 * 1024;

    private readonly JsonElement _root;

    private RequestJson(JsonElement root) => _root = root;

    /// <summary>The first problem found, naming its field.</summary>
    public string? Error { get; private set; }

    /// <summary>The body as an object (an empty body reads as <c>{}</c> when <paramref name="optional"/>), or the 400 answer.</summary>
    public static async Task<(RequestJson? Body, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, bool optional)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > MaxBytes) return (null, BadRequest($"The body exceeds {MaxBytes} bytes."));
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBytes) return (null, BadRequest($"The body exceeds {MaxBytes} bytes."));
            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return optional ? (new RequestJson(JsonDocument.Parse("{}").RootElement), null) : (null, BadRequest("The body is empty; a JSON object is expected."));
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object) return (null, BadRequest("The body must be a JSON object."));
            return (new RequestJson(document.RootElement.Clone()), null);
        }
        catch (JsonException e)
        {
            return (null, BadRequest($"The body is not valid JSON: {e.Message}"));
        }
    }

    public static ProblemHttpResult BadRequest(string detail) => IngestApi.Problem(StatusCodes.Status400BadRequest, "Bad request", detail);

    /// <summary>A string field: null when absent or null; an error when another kind, empty, or longer than <paramref name="maxLength"/>.</summary>
    public string? Text(string field, int maxLength, bool required = false)
    {
        if (!_root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) Fail(field, "is required");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String) return Fail<string>(field, $"must be a string, not {Kind(value)}");
        var text = value.GetString()!.Trim();
        if (text.Length == 0) return Fail<string>(field, "must not be empty");
        if (text.Length > maxLength) return Fail<string>(field, $"is longer than {maxLength} characters");
        if (text.Any(char.IsControl)) return Fail<string>(field, "must not contain control characters");
        return text;
    }

    /// <summary>An integer field in [<paramref name="min"/>, <paramref name="max"/>], or null when absent.</summary>
    public int? Integer(string field, int min, int max)
    {
        if (!_root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number)) return Fail<int?>(field, $"must be an integer, not {Kind(value)}");
        if (number < min || number > max) return Fail<int?>(field, $"{number} is outside {min}-{max}");
        return number;
    }

    /// <summary>An RFC 3339 time field, or null when absent.</summary>
    public DateTimeOffset? Time(string field, bool required = false)
    {
        var text = Text(field, 64, required);
        if (text is null) return null;
        if (!DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var time)
            || !text.Contains('T', StringComparison.OrdinalIgnoreCase))
        {
            return Fail<DateTimeOffset?>(field, $"'{OrleansDetect.Grains.Alerts.SafeText.Clean(text)}' is not an RFC 3339 time such as 2026-12-01T10:00:00Z");
        }

        return time;
    }

    /// <summary>Records a problem with <paramref name="field"/> (the first one wins).</summary>
    public void Fail(string field, string problem) => Error ??= $"Field '{field}' {problem}.";

    private T? Fail<T>(string field, string problem)
    {
        Fail(field, problem);
        return default;
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}

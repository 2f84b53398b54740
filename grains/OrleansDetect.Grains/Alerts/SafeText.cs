namespace OrleansDetect.Grains.Alerts;

/// <summary>
/// Makes text we did not write (workload names, evidence values) safe to carry in every output format: XML (RSS),
/// HTML pages, Slack messages and JSON. A workload named with a control character must not make the feed invalid.
/// </summary>
public static class SafeText
{
    /// <summary>What replaces a character no format can carry.</summary>
    public const char Replacement = '\uFFFD';

    /// <summary>
    /// <paramref name="text"/> with control characters (C0 but tab and line feed, DEL, C1), the non-characters U+FFFE
    /// and U+FFFF, and unpaired surrogates replaced by U+FFFD. The same string when nothing needs replacing.
    /// </summary>
    public static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var first = FirstUnsafe(text);
        if (first < 0) return text;
        return string.Create(text.Length, (text, first), static (span, args) =>
        {
            var (source, from) = args;
            source.AsSpan().CopyTo(span);
            for (var i = from; i < span.Length; i++)
            {
                var c = span[i];
                if (char.IsHighSurrogate(c) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
                {
                    i++;
                    continue;
                }

                if (IsUnsafe(c)) span[i] = Replacement;
            }
        });
    }

    private static int FirstUnsafe(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (IsUnsafe(c)) return i;
        }

        return -1;
    }

    // A surrogate reaching here is unpaired.
    private static bool IsUnsafe(char c) =>
        (char.IsControl(c) && c is not '\n' and not '\t') || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF';
}

using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace OrleansDetect.Silo.Hosting;

/// <summary>
/// Turns a configuration failure at start into one line per bad key, for stderr: the binder's conversion failures
/// (a number, TimeSpan, bool or enum it cannot parse) and the options validators' failures, which name their key.
/// </summary>
public static partial class ConfigurationErrors
{
    /// <summary>The lines that describe <paramref name="exception"/>, or null when it is not a configuration failure.</summary>
    public static IReadOnlyList<string>? Describe(Exception exception) => exception switch
    {
        OptionsValidationException invalid => [.. invalid.Failures],
        // The host's startup validator throws one AggregateException when several options classes fail.
        AggregateException several when several.InnerExceptions.All(e => Describe(e) is not null) =>
            [.. several.InnerExceptions.SelectMany(e => Describe(e)!)],
        InvalidOperationException conversion when conversion.TargetSite?.DeclaringType == typeof(ConfigurationBinder) =>
            [DescribeConversion(conversion.Message)],
        _ => null,
    };

    /// <summary>A configuration failure that is not an options class's: names the key, says what is wrong.</summary>
    public static OptionsValidationException Invalid(string key, string problem) =>
        new(key, typeof(IConfiguration), [$"{key}: {problem}"]);

    // The binder names the key, the value and the target type only in its message (Error_FailedBinding; the value is
    // left out when the failure came from GetValue).
    [GeneratedRegex(@"^Failed to convert configuration value (?:'(?<value>.*)' )?at '(?<key>[^']+)' to type '(?<type>[^']+)'\.", RegexOptions.Singleline)]
    private static partial Regex FailedBinding();

    /// <summary>The line for a value that does not convert to the type its key binds to.</summary>
    internal static string NotConvertible(string key, string? value, Type type) => NotConvertible(key, value, type.Name, type);

    private static string NotConvertible(string key, string? value, string typeName, Type? type) =>
        $"{key}: {(value is null ? "the value" : $"'{value}'")} is not a valid {typeName}{(type is null ? "" : Expected(type))}";

    private static string DescribeConversion(string message)
    {
        var match = FailedBinding().Match(message);
        if (!match.Success) return message.ReplaceLineEndings(" ");
        var type = ResolveType(match.Groups["type"].Value);
        var value = match.Groups["value"].Success ? match.Groups["value"].Value : null;
        return NotConvertible(match.Groups["key"].Value, value, type?.Name ?? match.Groups["type"].Value, type);
    }

    private static string Expected(Type type) => type switch
    {
        { IsEnum: true } => $" (one of {string.Join(", ", Enum.GetNames(type))})",
        _ when type == typeof(TimeSpan) => " (use [d.]hh:mm:ss, e.g. 00:05:00)",
        _ when type == typeof(bool) => " (use true or false)",
        _ => "",
    };

    private static Type? ResolveType(string fullName)
    {
        var type = Type.GetType(fullName, throwOnError: false)
                   ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(fullName, throwOnError: false)).FirstOrDefault(t => t is not null);
        return type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
    }
}

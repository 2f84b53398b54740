using System.Collections.Concurrent;
using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace OrleansDetect.Silo.Hosting;

/// <summary>
/// Fails an options class whose section holds a list element the binder could not convert. The binder throws for a
/// bad scalar (<c>Detection:PortSweep:PublicMediumThreshold=abc</c>) but silently drops a list element it cannot
/// bind: <c>Detection:Suppress:0:Port=ssh</c> would otherwise leave a suppression rule that matches every port.
/// Registered for every options type; it checks those that name their section in a <c>SectionName</c> constant
/// (STYLE rule 6), which is every options class of ours.
/// </summary>
public sealed class ConfigurationConversionCheck<TOptions>(IConfiguration configuration) : IValidateOptions<TOptions>
    where TOptions : class
{
    private static readonly string? Section =
        typeof(TOptions).GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string;

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        if (Section is null) return ValidateOptionsResult.Skip;
        var failures = new List<string>();
        ConfigurationConversion.CheckObject(configuration.GetSection(Section), typeof(TOptions), failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Walks a configuration section against the type it binds to, converting every value as the binder would.</summary>
internal static class ConfigurationConversion
{
    private static readonly ConcurrentDictionary<Type, Dictionary<string, Type>> Properties = new();

    public static void CheckObject(IConfigurationSection section, Type type, List<string> failures)
    {
        var properties = Properties.GetOrAdd(type, static t => t
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .ToDictionary(p => p.Name, p => p.PropertyType, StringComparer.OrdinalIgnoreCase));
        foreach (var child in section.GetChildren())
        {
            // Keys the type does not have are the binder's business (it ignores them), and so are other sections'.
            if (properties.TryGetValue(child.Key, out var propertyType))
            {
                CheckValue(child, propertyType, failures);
            }
        }
    }

    private static void CheckValue(IConfigurationSection section, Type type, List<string> failures)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string) || type == typeof(object)) return;

        var converter = TypeDescriptor.GetConverter(type);
        if (converter.CanConvertFrom(typeof(string)))
        {
            if (string.IsNullOrEmpty(section.Value)) return;
            try
            {
                converter.ConvertFromInvariantString(section.Value);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException)
            {
                failures.Add(ConfigurationErrors.NotConvertible(section.Path, section.Value, type));
            }

            return;
        }

        if (ElementType(type) is { } element)
        {
            foreach (var item in section.GetChildren())
            {
                CheckValue(item, element, failures);
            }

            return;
        }

        CheckObject(section, type, failures);
    }

    private static Type? ElementType(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (!type.IsGenericType) return null;
        var enumerable = type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        // Dictionaries bind their values by key; none of our options has one, so their values are left to the binder.
        return enumerable?.GetGenericArguments()[0] is { IsGenericType: true } pair && pair.GetGenericTypeDefinition() == typeof(KeyValuePair<,>)
            ? null
            : enumerable?.GetGenericArguments()[0];
    }
}

using Microsoft.Extensions.Options;
using OrleansDetect.Detection;

namespace OrleansDetect.Silo.Hosting;

/// <summary>What a key may do. <see cref="Admin"/> may do everything; <see cref="Read"/> reads; <see cref="Ingest"/> only posts flows.</summary>
public enum KeyRole
{
    /// <summary><c>POST /api/v1/flows</c> only: what every collector holds.</summary>
    Ingest,

    /// <summary>Alerts, workloads, RSS and the pages.</summary>
    Read,

    /// <summary>Everything, the dashboard included.</summary>
    Admin,
}

/// <summary>One API key and its role.</summary>
public sealed class AuthKey
{
    /// <summary>The secret. Never logged or echoed.</summary>
    public string Key { get; set; } = "";

    public KeyRole Role { get; set; } = KeyRole.Read;

    public override string ToString() => $"AuthKey({Role})";
}

/// <summary>
/// API keys with roles (<c>Auth:Keys:N:Key</c>, <c>Auth:Keys:N:Role</c>). The older <c>Ingest:ApiKeys:N</c> keep
/// meaning ingest keys. No key at all: every endpoint is open (the default binds to localhost only); any key: every
/// endpoint but health needs a key of a sufficient role.
/// </summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    public List<AuthKey> Keys { get; set; } = [];

    public override string ToString() => $"AuthOptions({Keys.Count} keys)";
}

/// <summary>Stops the silo at start on an empty key, naming its index (never its value).</summary>
public sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(AuthOptions.SectionName);
        for (var i = 0; i < options.Keys.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.Keys[i].Key)) check.Fail($"Keys:{i}:Key is empty");
            else if (options.Keys[i].Key.Trim().Length < 16) check.Fail($"Keys:{i}:Key is shorter than 16 characters (the value is not shown)");
        }

        return check.Result;
    }
}

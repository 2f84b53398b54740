using Microsoft.Extensions.Options;
using OrleansDetect.Detection;

namespace OrleansDetect.Silo.Hosting;

/// <summary>Ingest API settings (<c>Ingest:*</c>).</summary>
public sealed class IngestOptions
{
    public const string SectionName = "Ingest";

    /// <summary>Bearer keys that may ingest (<c>Ingest__ApiKeys__0</c>, …). None: ingest is open (the default binds to localhost only).</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>Largest request body accepted (1 KiB–1 GiB); larger ones get 413.</summary>
    public long MaxBodyBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>How many per-line errors a response lists (all are counted).</summary>
    public int MaxErrorsReported { get; set; } = 100;

    // Keys are secrets: never print them.
    public override string ToString() => $"IngestOptions(ApiKeys: {ApiKeys.Length} configured, MaxBodyBytes: {MaxBodyBytes})";
}

public sealed class IngestOptionsValidator : IValidateOptions<IngestOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(IngestOptions.SectionName);
        check.InRange(options.MaxBodyBytes, 1024, 1L << 30, nameof(options.MaxBodyBytes));
        check.InRange(options.MaxErrorsReported, 0, 10_000, nameof(options.MaxErrorsReported));
        return check.Result;
    }
}

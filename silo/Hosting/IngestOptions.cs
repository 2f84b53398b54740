using System.ComponentModel.DataAnnotations;

namespace OrleansDetect.Silo.Hosting;

/// <summary>Ingest API settings (<c>Ingest:*</c>).</summary>
public sealed class IngestOptions
{
    public const string SectionName = "Ingest";

    /// <summary>Bearer keys that may ingest (<c>Ingest__ApiKeys__0</c>, …). None: ingest is open (the default binds to localhost only).</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    [Range(1024, 1L << 30, ErrorMessage = "Ingest:MaxBodyBytes must be between 1 KiB and 1 GiB")]
    public long MaxBodyBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>How many per-line errors a response lists (all are counted).</summary>
    [Range(0, 10_000, ErrorMessage = "Ingest:MaxErrorsReported must be between 0 and 10000")]
    public int MaxErrorsReported { get; set; } = 100;

    // Keys are secrets: never print them.
    public override string ToString() => $"IngestOptions(ApiKeys: {ApiKeys.Length} configured, MaxBodyBytes: {MaxBodyBytes})";
}

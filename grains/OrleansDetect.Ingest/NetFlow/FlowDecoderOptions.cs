namespace OrleansDetect.Ingest.NetFlow;

/// <summary>The decoder's cache bounds and lifetimes.</summary>
public sealed class FlowDecoderOptions
{
    /// <summary>RFC 6728: a collector keeps a template three times the exporter's 600 s refresh interval.</summary>
    public TimeSpan TemplateLifetime { get; set; } = TimeSpan.FromSeconds(1800);

    /// <summary>How long data whose template has not arrived yet is held before it is dropped and counted.</summary>
    public TimeSpan TemplateWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Held data per exporter, in bytes: beyond it new unknown-template data is dropped and counted.</summary>
    public int MaxHeldBytesPerExporter { get; set; } = 1 << 20;

    public int MaxTemplatesPerExporter { get; set; } = 1024;

    /// <summary>Distinct exporter addresses tracked; datagrams from further ones are dropped (a spoofing flood cannot grow the cache).</summary>
    public int MaxExporters { get; set; } = 4096;
}

using Microsoft.AspNetCore.Http.HttpResults;
using OrleansDetect.Ingest.NetFlow;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Silo.Collector;

/// <summary><c>GET /api/v1/collector/exporters</c>: what each NetFlow/IPFIX exporter has sent to this silo's collector.</summary>
public static class CollectorApi
{
    public static IEndpointRouteBuilder MapCollectorApi(this IEndpointRouteBuilder app)
    {
        // Exporter addresses are internal topology: a read key when keys are configured.
        app.MapGet("/api/v1/collector/exporters", GetExporters).WithName("GetCollectorExporters").RequireKey(KeyRole.Read, browser: true);
        return app;
    }

    /// <summary>One exporter's figures; <c>dropped</c> by reason (truncated, unknown-version, malformed, template-limit, no-template).</summary>
    public sealed record ExporterJson(
        string Exporter, long Datagrams, long Records, long SequenceLost, int Templates, int HeldSets,
        IReadOnlyDictionary<string, long> Dropped, DateTimeOffset LastSeen);

    internal static Ok<ExporterJson[]> GetExporters(NetFlowCollector collector) => TypedResults.Ok(collector.Exporters()
        .OrderBy(e => e.Address.ToString(), StringComparer.Ordinal)
        .Select(e => new ExporterJson(
            e.Address.ToString(), e.Datagrams, e.Records, e.SequenceLost, e.Templates, e.HeldSets,
            Enum.GetValues<DatagramDrop>().Where(d => d is not (DatagramDrop.None or DatagramDrop.Count) && e.Dropped(d) > 0)
                .ToDictionary(d => d.Name(), e.Dropped),
            DateTimeOffset.FromUnixTimeMilliseconds(e.LastSeenMs)))
        .ToArray());
}

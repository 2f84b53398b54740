using System.Net;
using Microsoft.Extensions.Options;
using OrleansDetect.Detection;

namespace OrleansDetect.Silo.Collector;

/// <summary>The UDP collector for NetFlow v5/v9 and IPFIX (<c>Collector:NetFlow:*</c>). Off unless a port is set.</summary>
public sealed class NetFlowCollectorOptions
{
    public const string SectionName = "Collector:NetFlow";

    /// <summary>UDP port; unset: no collector. 0 takes any free port (tests read it from <see cref="NetFlowCollector.LocalEndPoint"/>).</summary>
    public int? Port { get; set; }

    /// <summary>Listen address: loopback by default, <c>0.0.0.0</c> or <c>::</c> for every interface.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Socket receive buffer: bursts (softflowd expiring a whole table at once) wait here while the loop decodes.</summary>
    public int ReceiveBufferBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>How often decoded flows go to the workload grains (the GPSTracker pattern: a short timer or a full batch).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Flows that trigger a flush before the interval is up.</summary>
    public int MaxBatchEvents { get; set; } = 10_000;

    /// <summary>Flows held while the grains are slower than the exporters; beyond it new ones are dropped and counted.</summary>
    public int MaxBacklogEvents { get; set; } = 1_000_000;

    /// <summary>How long a one-way record waits for its reverse before it is judged alone.</summary>
    public TimeSpan StitchWindow { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>RFC 6728's collector default: three times the exporters' 600 s refresh.</summary>
    public TimeSpan TemplateLifetime { get; set; } = TimeSpan.FromSeconds(1800);

    /// <summary>How long data that came before its template is held.</summary>
    public TimeSpan TemplateWait { get; set; } = TimeSpan.FromSeconds(10);

    public int MaxTemplatesPerExporter { get; set; } = 1024;

    public int MaxExporters { get; set; } = 4096;

    /// <summary>Which workload a flow belongs to: by the initiator's address (<c>Cidr</c>) or the exporter's (<c>Exporter</c>); else the initiator's address.</summary>
    public WorkloadRule[] Workloads { get; set; } = [];

    public sealed class WorkloadRule
    {
        public string? Cidr { get; set; }

        public string? Exporter { get; set; }

        public string? Name { get; set; }
    }
}

public sealed class NetFlowCollectorOptionsValidator : IValidateOptions<NetFlowCollectorOptions>
{
    public ValidateOptionsResult Validate(string? name, NetFlowCollectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(NetFlowCollectorOptions.SectionName);
        if (options.Port is { } port) check.InRange(port, 0, 65535, nameof(options.Port));
        if (!IPAddress.TryParse(options.Address, out _)) check.Fail($"{nameof(options.Address)} '{options.Address}' is not an IP address");
        check.InRange(options.ReceiveBufferBytes, 64 * 1024, 1L << 30, nameof(options.ReceiveBufferBytes));
        check.InRange(options.FlushInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10), nameof(options.FlushInterval));
        check.InRange(options.MaxBatchEvents, 1, 1_000_000, nameof(options.MaxBatchEvents));
        check.InRange(options.MaxBacklogEvents, 1, 100_000_000, nameof(options.MaxBacklogEvents));
        check.InRange(options.StitchWindow, TimeSpan.Zero, TimeSpan.FromMinutes(1), nameof(options.StitchWindow));
        check.InRange(options.TemplateLifetime, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1), nameof(options.TemplateLifetime));
        check.InRange(options.TemplateWait, TimeSpan.Zero, TimeSpan.FromHours(1), nameof(options.TemplateWait));
        check.InRange(options.MaxTemplatesPerExporter, 1, 65_536, nameof(options.MaxTemplatesPerExporter));
        check.InRange(options.MaxExporters, 1, 1_000_000, nameof(options.MaxExporters));
        for (var i = 0; i < options.Workloads.Length; i++)
        {
            var rule = options.Workloads[i];
            var key = $"{nameof(options.Workloads)}:{i}";
            if (string.IsNullOrWhiteSpace(rule.Name)) check.Fail($"{key}:{nameof(rule.Name)} must be set");
            if ((rule.Cidr is null) == (rule.Exporter is null)) check.Fail($"{key} needs exactly one of {nameof(rule.Cidr)} or {nameof(rule.Exporter)}");
            if (rule.Cidr is not null && !CidrBlock.TryParse(rule.Cidr, out _)) check.Fail($"{key}:{nameof(rule.Cidr)} '{rule.Cidr}' is not a CIDR or an address");
            if (rule.Exporter is not null && !NetAddress.TryParse(rule.Exporter, out _)) check.Fail($"{key}:{nameof(rule.Exporter)} '{rule.Exporter}' is not an IP address");
        }

        return check.Result;
    }
}

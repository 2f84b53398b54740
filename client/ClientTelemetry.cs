using System.Diagnostics;
using System.Reflection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OrleansDetect.Client;

/// <summary>
/// OpenTelemetry for the CLI, configured only by the standard <c>OTEL_*</c> environment variables. Without
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> nothing is built and nothing exported. Each request is a <c>client.send</c>
/// span whose HTTP call carries a W3C <c>traceparent</c>, so the silo's spans join the client's trace.
/// </summary>
internal sealed class ClientTelemetry : IDisposable
{
    public const string SourceName = "OrleansDetect.Client";
    public const string DefaultServiceName = "orleansdetect-client";

    public static readonly ActivitySource Source = new(SourceName);

    private readonly TracerProvider _tracing;
    private readonly MeterProvider _metrics;

    private ClientTelemetry(TracerProvider tracing, MeterProvider metrics)
    {
        _tracing = tracing;
        _metrics = metrics;
    }

    /// <summary>Starts exporting when the endpoint variable is set; null otherwise.</summary>
    public static ClientTelemetry? Start()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))) return null;

        // The SDK reads OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER[_ARG] and the exporter's
        // OTEL_EXPORTER_OTLP_* variables itself; only the default name is ours.
        var version = typeof(ClientTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var resource = ResourceBuilder.CreateDefault();
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME"))
            && !(Environment.GetEnvironmentVariable("OTEL_RESOURCE_ATTRIBUTES") ?? "").Contains("service.name=", StringComparison.Ordinal))
        {
            resource.AddService(DefaultServiceName, serviceVersion: version);
        }
        else
        {
            resource.AddAttributes([new("service.version", version)]);
        }

        var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(SourceName)
            .AddHttpClientInstrumentation()
            .AddOtlpExporter()
            .Build();
        var metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddHttpClientInstrumentation()
            .AddOtlpExporter()
            .Build();
        return new ClientTelemetry(tracing, metrics);
    }

    /// <summary>Flushes what is buffered (a short CLI run ends before the first scheduled export).</summary>
    public void Dispose()
    {
        _tracing.Dispose();
        _metrics.Dispose();
    }
}

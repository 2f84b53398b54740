using System.Diagnostics;
using System.Reflection;
using OpenTelemetry;
using OpenTelemetry.Instrumentation.AspNetCore;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Dashboard;
using Orleans.Diagnostics;
using OrleansDetect.Grains.Diagnostics;
using OrleansDetect.Grains.Sinks.Slack;
using OrleansDetect.Silo.Api;
using Polly.Telemetry;

namespace OrleansDetect.Silo.Hosting;

/// <summary>
/// OpenTelemetry traces, metrics and logs, configured only by the standard <c>OTEL_*</c> keys (environment, command
/// line or appsettings), plus the Orleans Dashboard. Without <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> no OpenTelemetry
/// pipeline is built at all, so an unobserved silo pays nothing for it.
/// </summary>
public static class TelemetryExtensions
{
    public const string EndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string DefaultServiceName = "orleansdetect-silo";

    /// <summary><c>Dashboard:Enabled</c> (default true) serves the Orleans Dashboard at <see cref="DashboardApi.Path"/>.</summary>
    public const string DashboardEnabledKey = "Dashboard:Enabled";

    // Orleans 10.4 names its meter "Orleans"; later versions "Microsoft.Orleans". Both are listened to.

    /// <summary>Orleans' spans: grain calls (application and system targets) and grain storage.</summary>
    private static readonly string[] OrleansSources =
    [
        ActivitySources.ApplicationGrainActivitySourceName,
        ActivitySources.RuntimeActivitySourceName,
        ActivitySources.StorageActivitySourceName,
    ];

    public static WebApplicationBuilder AddOrleansDetectTelemetry(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddSingleton<IConfigureGrainContextProvider, WorkloadCount>();
        builder.Services.Configure<TelemetryOptions>(o => o.SeverityProvider = AttemptsAtDebug(o.SeverityProvider));
        if (configuration.GetValue(DashboardEnabledKey, true))
        {
            builder.UseOrleans(silo => silo.AddDashboard());
        }

        if (string.IsNullOrWhiteSpace(configuration[EndpointKey])) return builder;

        builder.Services.AddOptions<AspNetCoreTraceInstrumentationOptions>().Configure<IHostApplicationLifetime>((o, lifetime) =>
        {
            o.Filter = context => IsThisApp(context, lifetime) && !IsPolled(context.Request.Path);
            // A feed token is a key: the query that carries it is never exported.
            o.EnrichWithHttpRequest = (activity, request) =>
            {
                if (request.Query.ContainsKey(ApiKeyCheck.TokenParameter)) activity.SetTag("url.query", null);
            };
        });

        // Registered after AddActivityPropagation, so workload.ingest is a child of Orleans' server span.
        builder.UseOrleans(silo => silo.AddIncomingGrainCallFilter<WorkloadIngestTracing>());
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => Describe(resource, configuration))
            .WithTracing(tracing => tracing
                .AddSource(DetectTelemetry.Name)
                .AddSource(OrleansSources)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation(o => o.EnrichWithHttpRequestMessage = RedactWebhook))
            .WithMetrics(metrics => metrics
                .AddMeter(DetectTelemetry.Name, "Orleans", "Microsoft.Orleans")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation())
            .WithLogging(configureBuilder: null, configureOptions: o => o.IncludeFormattedMessage = true)
            .UseOtlpExporter();
        return builder;
    }

    /// <summary>
    /// Polly logs every attempt of every resilience pipeline at Information (Orleans places each new grain through
    /// one, the Slack client posts through another), and a pipeline's completion too: both go to Debug. Retries and
    /// timeouts keep their severity (Warning); the caller logs a call that failed for good.
    /// </summary>
    private static Func<SeverityProviderArguments, ResilienceEventSeverity> AttemptsAtDebug(Func<SeverityProviderArguments, ResilienceEventSeverity>? inner) =>
        args => args.Event.EventName is "ExecutionAttempt" or "PipelineExecuted"
            ? ResilienceEventSeverity.Debug
            : inner?.Invoke(args) ?? args.Event.Severity;

    /// <summary>Service name (unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES names one), version, and the silo address as instance id.</summary>
    private static void Describe(ResourceBuilder resource, IConfiguration configuration)
    {
        var version = typeof(TelemetryExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var attributes = configuration["OTEL_RESOURCE_ATTRIBUTES"] ?? "";
        var named = !string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]) || attributes.Contains("service.name=", StringComparison.Ordinal);
        if (named)
        {
            resource.AddAttributes([new("service.version", version)]);
        }
        else
        {
            resource.AddService(DefaultServiceName, serviceVersion: version, autoGenerateServiceInstanceId: false);
        }

        if (!attributes.Contains("service.instance.id=", StringComparison.Ordinal))
        {
            resource.AddDetector(services => new SiloInstanceDetector(services.GetRequiredService<ILocalSiloDetails>()));
        }
    }

    // ASP.NET Core's listener sees every web app in the process; only this one's requests belong to this silo.
    private static bool IsThisApp(HttpContext context, IHostApplicationLifetime lifetime) =>
        ReferenceEquals(context.RequestServices?.GetService<IHostApplicationLifetime>(), lifetime);

    // Health probes and the dashboard poll every few seconds; tracing them would bury the ingest traces.
    private static bool IsPolled(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments(DashboardApi.Path);

    /// <summary>The webhook URL's path is the Slack secret: the exported span keeps only scheme, host and port.</summary>
    private static void RedactWebhook(Activity activity, HttpRequestMessage request)
    {
        if (!SlackWebhookClient.IsWebhookRequest(request) || request.RequestUri is not { } uri) return;
        var redacted = uri.GetLeftPart(UriPartial.Authority) + "/REDACTED";
        activity.SetTag("url.full", redacted);
        activity.SetTag("url.path", null);
        activity.SetTag("url.query", null);
        activity.DisplayName = request.Method.Method;
    }

    private sealed class SiloInstanceDetector(ILocalSiloDetails silo) : IResourceDetector
    {
        public Resource Detect() => new([new("service.instance.id", silo.SiloAddress.ToParsableString())]);
    }
}

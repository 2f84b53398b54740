using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansDetect.Grains.Sinks.Slack;
using OrleansDetect.Silo.Api;

namespace OrleansDetect.Silo.Hosting;

/// <summary>The clustering and storage providers the silo was configured with, in words for the startup summary.</summary>
public sealed record SiloProviders(string Clustering, string Storage);

/// <summary>
/// What an operator needs to know once the silo is up, in one log entry of a few lines: where it listens, which cluster
/// it joined and how, where state goes, which sinks are on. Orleans' own option dumps stay at Debug; no secret
/// (webhook URL, API keys, Redis password) is ever part of it.
/// </summary>
public sealed partial class StartupSummary(
    IHostApplicationLifetime lifetime,
    IServer server,
    ILocalSiloDetails silo,
    IOptions<ClusterOptions> cluster,
    IOptions<EndpointOptions> endpoints,
    IOptions<IngestOptions> ingest,
    IOptions<AuthOptions> auth,
    IOptions<SlackOptions> slack,
    SiloProviders providers,
    LinkGenerator links,
    IConfiguration configuration,
    IHostEnvironment environment,
    ILogger<StartupSummary> logger) : IHostedService
{
    /// <summary>The name <see cref="AlertsApi"/> gives the RSS feed's route.</summary>

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(LogStarted);
        lifetime.ApplicationStopping.Register(() => LogStopping(logger, silo.SiloAddress.Endpoint.ToString()));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void LogStarted()
    {
        var urls = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var ingestKeys = ingest.Value.ApiKeys.Count(k => !string.IsNullOrWhiteSpace(k)) + auth.Value.Keys.Count(k => k.Role == KeyRole.Ingest);
        var readKeys = auth.Value.Keys.Count(k => k.Role == KeyRole.Read);
        var adminKeys = auth.Value.Keys.Count(k => k.Role == KeyRole.Admin);
        var keys = ingestKeys + readKeys + adminKeys;
        LogSummary(
            logger,
            silo.SiloAddress.Endpoint.ToString(),
            cluster.Value.ClusterId,
            cluster.Value.ServiceId,
            providers.Clustering,
            string.Join(", ", urls),
            endpoints.Value.SiloPort,
            endpoints.Value.GatewayPort,
            providers.Storage,
            keys == 0 ? "open (no API keys)" : $"keys required ({ingestKeys} ingest, {readKeys} read, {adminKeys} admin)",
            links.GetPathByName(Api.AlertsApi.FeedEndpointName) ?? "-",
            string.IsNullOrWhiteSpace(slack.Value.WebhookUrl) ? "off" : "on",
            string.IsNullOrWhiteSpace(configuration[TelemetryExtensions.EndpointKey]) ? "off" : "on",
            environment.ContentRootPath);
    }

    [LoggerMessage(Level = LogLevel.Information, Message =
        "Silo {Silo} started: cluster {ClusterId}, service {ServiceId}, clustering {Clustering}\n" +
        "HTTP {Urls}; Orleans silo port {SiloPort}, gateway port {GatewayPort}\n" +
        "Storage: {Storage}; API: {Access}\n" +
        "Alerts: RSS {RssPath}, Slack {Slack}; OpenTelemetry export {Otlp}\n" +
        "Configuration: appsettings.json in {ContentRoot}, environment variables, command line")]
    private static partial void LogSummary(ILogger logger, string silo, string clusterId, string serviceId, string clustering, string urls,
        int siloPort, int gatewayPort, string storage, string access, string rssPath, string slack, string otlp, string contentRoot);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} stopping: readiness is false, in-flight requests finish, grains deactivate")]
    private static partial void LogStopping(ILogger logger, string silo);
}

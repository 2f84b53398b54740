using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OrleansDetect.Grains.Alerts;

namespace OrleansDetect.Silo.Api;

/// <summary>The alerts API and the RSS feed.</summary>
public static class AlertsApi
{
    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/alerts");
        api.MapGet("/", GetAlerts).WithName("GetAlerts");
        api.MapGet("/{id}", GetAlert).WithName("GetAlert");
        app.MapGet("/alerts.rss", GetFeed).WithName("GetAlertFeed");
        return app;
    }

    internal static async Task<Ok<AlertJson[]>> GetAlerts(
        IGrainFactory grains, IOptions<AlertOptions> options, int? limit, string? workload, string? type, string? severity)
    {
        var max = Math.Clamp(limit ?? 100, 1, options.Value.FeedSize);
        var recent = await grains.GetGrain<IAlertFeedGrain>(IAlertFeedGrain.Key).GetRecent(options.Value.FeedSize);
        var selected = recent
            .Where(a => workload is null || string.Equals(a.Workload, workload, StringComparison.Ordinal))
            .Where(a => type is null || string.Equals(a.Type, type, StringComparison.OrdinalIgnoreCase))
            .Where(a => severity is null || string.Equals(a.Severity.Name(), severity, StringComparison.OrdinalIgnoreCase))
            .Take(max)
            .Select(AlertJson.From)
            .ToArray();
        return TypedResults.Ok(selected);
    }

    internal static async Task<Results<Ok<AlertJson>, ProblemHttpResult>> GetAlert(string id, IGrainFactory grains)
    {
        if (!AlertIds.TryParse(id, out var grainKey, out _))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Alert not found", detail: $"'{id}' is not an alert id.");
        }

        var alert = await grains.GetGrain<IAlertGrain>(grainKey).Get(id);
        return alert is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Alert not found", detail: $"No alert with id '{id}'.")
            : TypedResults.Ok(AlertJson.From(alert));
    }

    internal static async Task<IResult> GetFeed(HttpRequest request, IGrainFactory grains, IOptions<AlertOptions> options)
    {
        var recent = await grains.GetGrain<IAlertFeedGrain>(IAlertFeedGrain.Key).GetRecent(options.Value.FeedSize);
        var baseUri = new Uri($"{request.Scheme}://{request.Host}{request.PathBase}/");
        return TypedResults.Text(AlertRssFeed.Render(recent, baseUri), AlertRssFeed.ContentType);
    }
}

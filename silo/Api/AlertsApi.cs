using Microsoft.Extensions.Options;
using OrleansDetect.Grains.Alerts;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Silo.Api;

/// <summary>The alerts API and the RSS feed. Neither answers 500 while a silo is lost: a stale copy, or 503 with Retry-After.</summary>
public static class AlertsApi
{
    /// <summary>The RSS endpoint's name (the startup summary looks its path up by it).</summary>
    public const string FeedEndpointName = "GetAlertFeed";

    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/alerts").RequireKey(KeyRole.Read, browser: true);
        api.MapGet("/", GetAlerts).WithName("GetAlerts");
        api.MapGet("/{id}", GetAlert).WithName("GetAlert");
        // Feed readers (Slack's RSS app among them) cannot send headers: a read key may come as ?token=.
        app.MapGet("/alerts.rss", GetFeed).WithName(FeedEndpointName).RequireKey(KeyRole.Read, browser: true, token: true);
        return app;
    }

    internal static async Task<IResult> GetAlerts(
        HttpContext http, RecentAlerts recentAlerts, IOptions<AlertOptions> options, int? limit, string? workload, string? type, string? severity,
        string? state = null)
    {
        if (AlertFilters.Invalid(severity, state, type) is { } invalid) return invalid;
        var (recent, _) = await recentAlerts.ReadAsync(http.RequestAborted);
        if (recent is null) return RecentAlerts.Unavailable(http, "The alert list");
        var max = Math.Clamp(limit ?? 100, 1, options.Value.FeedSize);
        var selected = recent
            .Where(a => workload is null || string.Equals(a.Workload, workload, StringComparison.Ordinal))
            .Where(a => type is null || string.Equals(a.Type, type, StringComparison.OrdinalIgnoreCase))
            .Where(a => severity is null || string.Equals(a.Severity.Name(), severity, StringComparison.OrdinalIgnoreCase))
            .Where(a => state is null || string.Equals(a.State, state, StringComparison.OrdinalIgnoreCase))
            .Take(max)
            .Select(AlertJson.From)
            .ToArray();
        return TypedResults.Ok(selected);
    }

    internal static async Task<IResult> GetAlert(string id, HttpContext http, IGrainFactory grains)
    {
        var alert = await FindAsync(id, http, grains);
        if (alert.Result is { } failure) return failure;
        return TypedResults.Ok(AlertJson.From(alert.Alert!));
    }

    internal static async Task<IResult> GetFeed(HttpContext http, RecentAlerts recentAlerts, AlertLinks links)
    {
        var (recent, _) = await recentAlerts.ReadAsync(http.RequestAborted);
        if (recent is null) return RecentAlerts.Unavailable(http, "The alert feed");
        // Links from configuration, never from the Host header a client chose.
        // A silenced alert is listed in the API and the console, never published to feed readers.
        return TypedResults.Text(AlertRssFeed.Render(Array.FindAll(recent, a => a.SilenceId is null), links.Base), AlertRssFeed.ContentType);
    }

    /// <summary>One alert from its grain, or the 404/503 answer.</summary>
    internal static async Task<(AlertRecord? Alert, IResult? Result)> FindAsync(string id, HttpContext http, IGrainFactory grains)
    {
        if (!AlertIds.TryParse(id, out var grainKey, out _))
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Alert not found", detail: $"'{SafeText.Clean(id)}' is not an alert id."));
        }

        AlertRecord? alert;
        try
        {
            alert = await grains.GetGrain<IAlertGrain>(grainKey).Get(id).WaitAsync(RecentAlerts.ReadTimeout, http.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            return (null, RecentAlerts.Unavailable(http, "The alert"));
        }

        return alert is null
            ? (null, TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Alert not found", detail: $"No alert with id '{id}'."))
            : (alert, null);
    }
}

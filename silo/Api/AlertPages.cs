using System.Text;
using Microsoft.Extensions.Options;
using OrleansDetect.Grains.Alerts;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Silo.Api;

/// <summary>
/// Plain server-rendered pages a person can open from an RSS item or a Slack message: <c>/</c> (the newest alerts, and
/// where the feed and the API are) and <c>/alerts/{id}</c> (one alert's facts). Every asset is inline.
/// </summary>
public static class AlertPages
{
    private const string HtmlType = "text/html; charset=utf-8";
    private const int ListLimit = 100;

    public static IEndpointRouteBuilder MapAlertPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", Index).WithName("AlertsPage").RequireKey(KeyRole.Read, browser: true);
        app.MapGet("/alerts/{id}", AlertPage).WithName("AlertPage").RequireKey(KeyRole.Read, browser: true);
        return app;
    }

    internal static async Task<IResult> Index(HttpContext http, RecentAlerts recentAlerts)
    {
        var (recent, stale) = await recentAlerts.ReadAsync(http.RequestAborted);
        var body = new StringBuilder("<h1>OrleansDetect alerts</h1>\n<p><a href=\"alerts.rss\">RSS feed</a> · <a href=\"api/v1/alerts\">alerts API (JSON)</a></p>\n");
        if (recent is null)
        {
            RecentAlerts.AskToRetry(http.Response);
            body.Append("<p>The alert list cannot be read while the cluster recovers from a silo loss; reload in a few seconds.</p>");
            return Page("OrleansDetect alerts", body.ToString());
        }

        if (stale) body.Append("<p><em>Showing the last list this silo read: the cluster is recovering from a silo loss.</em></p>\n");
        if (recent.Length == 0) body.Append("<p>No alerts yet.</p>");
        else
        {
            body.Append("<table>\n<tr><th>Severity</th><th>Alert</th><th>Workload</th><th>Last seen (UTC)</th></tr>\n");
            foreach (var alert in recent.Take(ListLimit))
            {
                body.Append("<tr><td class=\"").Append(alert.Severity.Name()).Append("\">").Append(alert.Severity.Name())
                    .Append("</td><td><a href=\"alerts/").Append(Uri.EscapeDataString(alert.Id)).Append("\">").Append(AlertText.Html(alert.Title))
                    .Append("</a></td><td>").Append(AlertText.Html(alert.Workload))
                    .Append("</td><td>").Append(AlertText.Iso(alert.LastSeen)).Append("</td></tr>\n");
            }

            body.Append("</table>");
        }

        return Page("OrleansDetect alerts", body.ToString());
    }

    internal static async Task<IResult> AlertPage(string id, HttpContext http, IGrainFactory grains)
    {
        var (alert, failure) = await AlertsApi.FindAsync(id, http, grains);
        if (failure is not null)
        {
            var status = failure is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status404NotFound;
            http.Response.StatusCode = status;
            return Page("Alert not found", status == StatusCodes.Status404NotFound
                ? $"<h1>Alert not found</h1><p>No alert with id <code>{AlertText.Html(id)}</code>.</p><p><a href=\"../\">All alerts</a></p>"
                : "<h1>Alert unavailable</h1><p>The cluster is recovering from a silo loss; reload in a few seconds.</p>");
        }

        var body = new StringBuilder("<p><a href=\"../\">All alerts</a> · <a href=\"../api/v1/alerts/")
            .Append(Uri.EscapeDataString(alert!.Id)).Append("\">JSON</a></p>\n")
            .Append("<h1 class=\"").Append(alert.Severity.Name()).Append("\">").Append(AlertText.Html(alert.Title)).Append("</h1>\n")
            .Append(AlertText.DescribeHtml(alert));
        return Page(SafeText.Clean(alert.Title), body.ToString());
    }

    private static IResult Page(string title, string body) => TypedResults.Text(
        $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{{System.Net.WebUtility.HtmlEncode(title)}}</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}th,td{text-align:left;padding:.25em .75em;border-bottom:1px solid #ddd;vertical-align:top}.high{color:#b00020}.medium{color:#b26a00}.low{color:#555}</style>
        </head><body>
        {{body}}
        </body></html>
        """, HtmlType);
}

using Microsoft.Extensions.Primitives;
using Orleans.Dashboard;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Silo.Api;

/// <summary>The Orleans Dashboard at <c>/dashboard/</c>, behind an admin key when keys are configured (it streams the silo's logs).</summary>
public static class DashboardApi
{
    public const string Path = "/dashboard";

    // Browsers cannot add a bearer header to the dashboard's own requests, so Basic (any user name, the key as
    // password) is offered as well: the browser asks once and repeats it.
    private static readonly StringValues Challenges = new(["Bearer", "Basic realm=\"OrleansDetect dashboard\", charset=\"UTF-8\""]);

    public static WebApplication MapDashboardApi(this WebApplication app)
    {
        if (!app.Configuration.GetValue(TelemetryExtensions.DashboardEnabledKey, true)) return app;
        app.MapOrleansDashboard(routePrefix: Path).AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.RequestServices.GetRequiredService<ApiKeyCheck>().IsAuthorized(http.Request, KeyRole.Admin, allowBasic: true)) return await next(context);
            http.Response.Headers.WWWAuthenticate = Challenges;
            return IngestApi.Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "The dashboard needs an admin key (Bearer, or Basic with the key as password).");
        });
        return app;
    }
}

using Microsoft.AspNetCore.Http.HttpResults;

namespace OrleansDetect.Silo.Api;

/// <summary><c>GET /api/v1/hosts/{id}</c>: one workload's windows and baseline.</summary>
public static class HostsApi
{
    public static IEndpointRouteBuilder MapHostsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/hosts/{id}", GetHost).WithName("GetHost");
        return app;
    }

    internal static async Task<Results<Ok<HostView>, ProblemHttpResult>> GetHost(string id, IGrainFactory grains)
    {
        var view = await grains.GetGrain<IHostGrain>(id).GetView();
        return view.EventsSeen == 0
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Workload not found", detail: $"No events have been seen from workload '{id}'.")
            : TypedResults.Ok(view);
    }
}

using Microsoft.AspNetCore.Http.HttpResults;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Silo.Api;

/// <summary><c>GET /api/v1/workloads/{id}</c>: one workload's windows and baseline (<c>/api/v1/hosts/{id}</c>, the name DESIGN.md gives, stays an alias).</summary>
public static class WorkloadsApi
{
    public static IEndpointRouteBuilder MapWorkloadsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/workloads/{id}", GetWorkload).WithName("GetWorkload").RequireKey(KeyRole.Read, browser: true);
        app.MapGet("/api/v1/hosts/{id}", GetWorkload).WithName("GetHost").RequireKey(KeyRole.Read, browser: true);
        return app;
    }

    internal static async Task<Results<Ok<WorkloadView>, ProblemHttpResult>> GetWorkload(string id, IGrainFactory grains)
    {
        var view = await grains.GetGrain<IWorkloadGrain>(id).GetView();
        return view.EventsSeen == 0
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Workload not found", detail: $"No events have been seen from workload '{id}'.")
            : TypedResults.Ok(view);
    }
}

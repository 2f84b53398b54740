using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using OrleansDetect.Grains.Alerts;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Silo.Api;

/// <summary>
/// <c>GET /api/v1/workloads</c> (paged list) and <c>/api/v1/workloads/{id}</c> (one workload's windows and baseline);
/// <c>/api/v1/hosts[/{id}]</c>, the names DESIGN.md gives, are aliases. Both go through the workload registry, so an
/// unknown workload is a 404 that neither activates a workload grain nor reads its storage.
/// </summary>
public static class WorkloadsApi
{
    public const int MaxPage = 1000;

    public static IEndpointRouteBuilder MapWorkloadsApi(this IEndpointRouteBuilder app)
    {
        foreach (var (root, name) in new[] { ("/api/v1/workloads", "Workload"), ("/api/v1/hosts", "Host") })
        {
            app.MapGet(root, ListWorkloads).WithName($"List{name}s").RequireKey(KeyRole.Read, browser: true)
                .WithSummary("Known workloads in name order: ?prefix= (name prefix), ?state=learning|learned, ?limit= (1-1000, default 100), ?after= (the previous page's next).");
            app.MapGet($"{root}/{{id}}", GetWorkload).WithName($"Get{name}").RequireKey(KeyRole.Read, browser: true)
                .WithSummary("One workload's windows and baseline; 404 when no events were seen from it.");
        }

        return app;
    }

    /// <summary>One page of workloads; <paramref name="Next"/> is the <c>after</c> of the next page, null on the last.</summary>
    public sealed record WorkloadPage(WorkloadListItem[] Items, string? Next);

    public sealed record WorkloadListItem(string Workload, string State, DateTimeOffset RegisteredAt);

    internal static async Task<Results<Ok<WorkloadPage>, ProblemHttpResult>> ListWorkloads(
        HttpContext http, IGrainFactory grains, string? prefix, string? state, int? limit, string? after)
    {
        if (state is not null && state is not ("learning" or "learned"))
        {
            return RequestJson.BadRequest($"Query parameter 'state' must be learning or learned; got '{SafeText.Clean(state)}'.");
        }

        if (limit is < 1 or > MaxPage)
        {
            return RequestJson.BadRequest(string.Create(CultureInfo.InvariantCulture, $"Query parameter 'limit' must be 1-{MaxPage}; got {limit}."));
        }

        var size = limit ?? 100;
        bool? learned = state is null ? null : state == "learned";
        // Each bucket returns its first page after the cursor; the merged first `size` are this page. One more than
        // asked tells whether a next page exists.
        var pages = await Task.WhenAll(Enumerable.Range(0, WorkloadRegistry.Buckets)
            .Select(b => grains.GetGrain<IWorkloadRegistryGrain>(b).List(prefix, learned, after, size + 1)))
            .WaitAsync(RecentAlerts.ReadTimeout, http.RequestAborted);
        var merged = pages.SelectMany(p => p).OrderBy(e => e.Workload, StringComparer.Ordinal).Take(size + 1).ToList();
        var more = merged.Count > size;
        if (more) merged.RemoveAt(size);
        var items = merged.Select(e => new WorkloadListItem(SafeText.Clean(e.Workload), e.Learned ? "learned" : "learning", e.RegisteredAt)).ToArray();
        return TypedResults.Ok(new WorkloadPage(items, more ? merged[^1].Workload : null));
    }

    internal static async Task<Results<Ok<WorkloadView>, ProblemHttpResult>> GetWorkload(string id, IGrainFactory grains)
    {
        // The registry first: a ghost id (a typo, a scanner walking ids) must not activate a grain and read storage.
        // A registry bucket whose silo died may have lost names registered in its last second; a workload among
        // them that is active is still found through the grain directory (a lookup that activates nothing), and
        // registers again with its next activation.
        var workload = grains.GetGrain<IWorkloadGrain>(id);
        if (!await WorkloadRegistry.For(grains, id).Contains(id)
            && await grains.GetGrain<IManagementGrain>(0).GetActivationAddress(workload) is null)
        {
            return NotFound(id);
        }

        var view = await workload.GetView();
        return view.EventsSeen == 0 ? NotFound(id) : TypedResults.Ok(view);
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Workload not found", detail: $"No events have been seen from workload '{SafeText.Clean(id)}'.");
}

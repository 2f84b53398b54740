using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace OrleansDetect.Silo.Api;

/// <summary>
/// The API description at <c>/openapi/v1.json</c>: every minimal-API endpoint as ASP.NET Core describes it, plus the
/// health endpoints, which are health-check middleware and so invisible to the endpoint explorer.
/// </summary>
public static class OpenApiDescription
{
    public static IServiceCollection AddOrleansDetectOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "OrleansDetect";
                document.Info.Description = "Flow ingest, alerts and their workflow, silences, workloads, RSS and health of an OrleansDetect cluster. " +
                                            "With API keys configured every endpoint but health needs 'Authorization: Bearer <key>' of a sufficient role.";
                document.Paths ??= [];
                document.Paths["/health/live"] = Health("Liveness: the process answers (200 Healthy).");
                document.Paths["/health/ready"] = Health("Readiness: joined the cluster and storage reachable (200 Healthy, 503 Unhealthy).");
                return Task.CompletedTask;
            });
        });

    private static OpenApiPathItem Health(string summary) => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Get] = new()
            {
                Summary = summary,
                Tags = new HashSet<OpenApiTagReference> { new("Health") },
                Responses = new OpenApiResponses
                {
                    ["200"] = new OpenApiResponse { Description = "Healthy" },
                    ["503"] = new OpenApiResponse { Description = "Unhealthy" },
                },
            },
        },
    };
}

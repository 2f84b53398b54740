using Microsoft.AspNetCore.Http.HttpResults;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Silo.Api;

/// <summary>
/// <c>POST /api/v1/alerts/{id}/acknowledge</c> and <c>/resolve</c> with <c>{"by":"…","note":"…"}</c>: the alert
/// workflow, persisted in the alert's grain and audited (who, when, note). Admin keys only.
/// </summary>
public static class AlertWorkflowApi
{
    public const int MaxNameLength = 100;
    public const int MaxNoteLength = 2000;

    public static IEndpointRouteBuilder MapAlertWorkflowApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/alerts").RequireKey(KeyRole.Admin, browser: true).DisableAntiforgery();
        api.MapPost("/{id}/acknowledge", (string id, HttpContext http, IGrainFactory grains, TimeProvider time) =>
                Step(id, http, grains, time, static (grain, alertId, action) => grain.Acknowledge(alertId, action)))
            .WithName("AcknowledgeAlert")
            .WithSummary("Acknowledge an alert: it stays open and still escalates (saying it was acknowledged).");
        api.MapPost("/{id}/resolve", (string id, HttpContext http, IGrainFactory grains, TimeProvider time) =>
                Step(id, http, grains, time, static (grain, alertId, action) => grain.Resolve(alertId, action)))
            .WithName("ResolveAlert")
            .WithSummary("Resolve (close) an alert: the next detection of its key opens a new alert.");
        return app;
    }

    internal static async Task<Results<Ok<AlertJson>, ProblemHttpResult>> Step(
        string id, HttpContext http, IGrainFactory grains, TimeProvider time, Func<IAlertGrain, string, AlertAction, Task<WorkflowResult>> step)
    {
        var (body, problem) = await RequestJson.ReadAsync(http.Request, optional: false);
        if (problem is not null) return problem;
        var by = body!.Text("by", MaxNameLength, required: true);
        var note = body.Text("note", MaxNoteLength);
        if (body.Error is { } error) return RequestJson.BadRequest(error);
        if (!AlertIds.TryParse(id, out var grainKey, out _)) return NotFound(id);

        WorkflowResult result;
        try
        {
            result = await step(grains.GetGrain<IAlertGrain>(grainKey), id, new AlertAction { By = by!, At = time.GetUtcNow(), Note = note })
                .WaitAsync(RecentAlerts.ReadTimeout, http.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            http.Response.Headers.RetryAfter = RecentAlerts.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return IngestApi.Problem(StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable",
                $"The alert cannot be changed while the cluster recovers from a silo loss; retry in {RecentAlerts.RetryAfterSeconds} s.");
        }

        return result.Status switch
        {
            WorkflowStatus.Done => TypedResults.Ok(AlertJson.From(result.Alert!)),
            WorkflowStatus.Closed => IngestApi.Problem(StatusCodes.Status409Conflict, "Alert resolved",
                $"Alert '{id}' was resolved {OrleansDetect.Grains.Alerts.AlertText.Audit(result.Alert!.Resolved!)}; a resolved alert is closed (its key's next detection opens a new alert)."),
            _ => NotFound(id),
        };
    }

    private static ProblemHttpResult NotFound(string id) =>
        IngestApi.Problem(StatusCodes.Status404NotFound, "Alert not found", $"No alert with id '{OrleansDetect.Grains.Alerts.SafeText.Clean(id)}'.");
}

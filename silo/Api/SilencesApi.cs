using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using OrleansDetect.Grains.Alerts;
using OrleansDetect.Grains.Alerts.Silences;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Silo.Api;

/// <summary>
/// <c>/api/v1/silences</c>: runtime silences after Alertmanager's. Creating and expiring need an admin key, listing a
/// read key. A change is applied on this silo before it is answered, and on every other within a second or two.
/// </summary>
public static class SilencesApi
{
    public const int MaxPatternLength = 200;

    public static IEndpointRouteBuilder MapSilencesApi(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api/v1/silences").RequireKey(KeyRole.Read, browser: true);
        read.MapGet("/", List).WithName("ListSilences").WithSummary("Every silence (pending, active, expired), newest first; ?state= filters.");
        read.MapGet("/{id}", GetOne).WithName("GetSilence").WithSummary("One silence.");
        var admin = app.MapGroup("/api/v1/silences").RequireKey(KeyRole.Admin, browser: true).DisableAntiforgery();
        admin.MapPost("/", Create).WithName("CreateSilence")
            .WithSummary("Create a silence: matchers workload (glob with *), type, cidr, port (at least one); endsAt required, startsAt defaults to now.");
        admin.MapDelete("/{id}", Expire).WithName("ExpireSilence").WithSummary("Expire a silence now (it is kept, listed as expired).");
        return app;
    }

    /// <summary>A silence as the API shows it.</summary>
    public sealed record SilenceJson(
        string Id, string State, string? Workload, string? Type, string? Cidr, int? Port,
        DateTimeOffset StartsAt, DateTimeOffset EndsAt, string CreatedBy, string? Comment, DateTimeOffset CreatedAt)
    {
        public static SilenceJson From(Silence s, DateTimeOffset now) =>
            new(s.Id, s.StateAt(now), s.Workload, s.Type, s.Cidr, s.Port, s.StartsAt, s.EndsAt, s.CreatedBy, s.Comment, s.CreatedAt);
    }

    private static readonly string[] States = ["pending", "active", "expired"];

    internal static async Task<Results<Ok<SilenceJson[]>, ProblemHttpResult>> List(string? state, HttpContext http, IGrainFactory grains, TimeProvider time)
    {
        if (state is not null && !States.Contains(state, StringComparer.Ordinal))
        {
            return RequestJson.BadRequest($"Query parameter 'state' must be one of {string.Join(", ", States)}; got '{SafeText.Clean(state)}'.");
        }

        var set = await grains.GetGrain<ISilenceRegistryGrain>(ISilenceRegistryGrain.Key).GetIfChanged(long.MinValue).WaitAsync(RecentAlerts.ReadTimeout, http.RequestAborted);
        var now = time.GetUtcNow();
        return TypedResults.Ok((set?.Silences ?? [])
            .OrderByDescending(s => s.CreatedAt)
            .Select(s => SilenceJson.From(s, now))
            .Where(s => state is null || s.State == state)
            .ToArray());
    }

    internal static async Task<Results<Ok<SilenceJson>, ProblemHttpResult>> GetOne(string id, HttpContext http, IGrainFactory grains, TimeProvider time)
    {
        var set = await grains.GetGrain<ISilenceRegistryGrain>(ISilenceRegistryGrain.Key).GetIfChanged(long.MinValue).WaitAsync(RecentAlerts.ReadTimeout, http.RequestAborted);
        return set?.Silences.FirstOrDefault(s => s.Id == id) is { } silence ? TypedResults.Ok(SilenceJson.From(silence, time.GetUtcNow())) : NotFound(id);
    }

    internal static async Task<Results<Created<SilenceJson>, ProblemHttpResult>> Create(
        HttpContext http, IGrainFactory grains, SilenceCache cache, TimeProvider time)
    {
        var (body, problem) = await RequestJson.ReadAsync(http.Request, optional: false);
        if (problem is not null) return problem;
        var now = time.GetUtcNow();
        var silence = Parse(body!, now, out var error);
        if (silence is null) return RequestJson.BadRequest(error!);

        var registry = grains.GetGrain<ISilenceRegistryGrain>(ISilenceRegistryGrain.Key);
        if (!await registry.Add(silence).WaitAsync(RecentAlerts.ReadTimeout, http.RequestAborted))
        {
            return IngestApi.Problem(StatusCodes.Status409Conflict, "Too many silences",
                $"The registry holds {SilenceRegistryGrain.Capacity} silences; expire some first (expired ones are dropped after 7 days).");
        }

        await Refresh(registry, cache);
        return TypedResults.Created($"/api/v1/silences/{silence.Id}", SilenceJson.From(silence, now));
    }

    internal static async Task<Results<Ok<SilenceJson>, ProblemHttpResult>> Expire(
        string id, HttpContext http, IGrainFactory grains, SilenceCache cache, TimeProvider time)
    {
        var registry = grains.GetGrain<ISilenceRegistryGrain>(ISilenceRegistryGrain.Key);
        var now = time.GetUtcNow();
        var expired = await registry.Expire(id, now).WaitAsync(RecentAlerts.ReadTimeout, http.RequestAborted);
        if (expired is null) return NotFound(id);
        await Refresh(registry, cache);
        return TypedResults.Ok(SilenceJson.From(expired, now));
    }

    /// <summary>The silence a body describes, or null with the problem (naming its field).</summary>
    internal static Silence? Parse(RequestJson body, DateTimeOffset now, out string? error)
    {
        var workload = body.Text("workload", MaxPatternLength);
        var type = body.Text("type", 64);
        if (type is not null && !type.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            body.Fail("type", $"'{type}' is not a detection type (lower-case letters, digits and dashes, e.g. {DetectionTypes.PortSweep})");
        }

        var cidr = body.Text("cidr", 64);
        if (cidr is not null)
        {
            if (IPAddress.TryParse(cidr, out var single) && !cidr.Contains('/')) cidr = new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128).ToString();
            else if (!IPNetwork.TryParse(cidr, out var network)) body.Fail("cidr", $"'{cidr}' is not a CIDR block such as 10.0.0.0/8 (no host bits set)");
            else cidr = network.ToString();
        }

        var port = body.Integer("port", 0, 65535);
        var startsAt = body.Time("startsAt") ?? now;
        var endsAt = body.Time("endsAt", required: true);
        var createdBy = body.Text("createdBy", AlertWorkflowApi.MaxNameLength, required: true);
        var comment = body.Text("comment", AlertWorkflowApi.MaxNoteLength);
        if (body.Error is null && workload is null && type is null && cidr is null && port is null)
        {
            body.Fail("workload", "or another matcher (type, cidr, port) is required: a silence needs at least one");
        }

        if (body.Error is null && endsAt <= now) body.Fail("endsAt", "is in the past: the silence would never apply");
        if (body.Error is null && endsAt <= startsAt) body.Fail("endsAt", "must be after startsAt");
        error = body.Error;
        if (error is not null) return null;
        return new Silence
        {
            Id = "s-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            Workload = workload,
            Type = type,
            Cidr = cidr,
            Port = port,
            StartsAt = startsAt,
            EndsAt = endsAt!.Value,
            CreatedBy = createdBy!,
            Comment = comment,
            CreatedAt = now,
        };
    }

    /// <summary>This silo applies the change before the client hears of it (the others within the refresh interval).</summary>
    private static async Task Refresh(ISilenceRegistryGrain registry, SilenceCache cache)
    {
        if (await registry.GetIfChanged(cache.Version) is { } set) cache.Update(set);
    }

    private static ProblemHttpResult NotFound(string id) =>
        IngestApi.Problem(StatusCodes.Status404NotFound, "Silence not found", $"No silence with id '{SafeText.Clean(id)}'.");
}

using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansDetect.Tests.Infrastructure;

/// <summary>
/// Alerts reach the feed (and so the alerts list and RSS) through each alert grain's outbox, a moment after the ingest
/// that raised them is answered. Reads of the list wait, bounded, for what a test expects instead of sleeping.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>Reads until <paramref name="done"/> holds or <paramref name="patience"/> (default <see cref="Patience"/>) is up; returns the last read either way.</summary>
    public static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? patience = null)
    {
        var waited = Stopwatch.StartNew();
        var value = await read();
        while (!done(value) && waited.Elapsed < (patience ?? Patience))
        {
            await Task.Delay(20);
            value = await read();
        }

        return value;
    }

    /// <summary>The feed's alerts of <paramref name="workload"/>, once at least <paramref name="count"/> are there (or patience is up).</summary>
    public static Task<AlertRecord[]> FeedAlerts(IGrainFactory grains, string workload, int count = 1, Func<AlertRecord[], bool>? and = null) =>
        Until(
            async () => (await grains.GetGrain<IAlertFeedGrain>(IAlertFeedGrain.Key).GetRecent(500)).Where(a => a.Workload == workload).ToArray(),
            alerts => alerts.Length >= count && (and is null || and(alerts)));

    /// <summary><c>GET api/v1/alerts?workload=</c>, once at least <paramref name="count"/> alerts are listed (or patience is up).</summary>
    /// <remarks>A 503 (the feed is moving after a silo loss; the answer says Retry-After) counts as not there yet.</remarks>
    public static async Task<JsonElement[]> ListedAlerts(HttpClient http, string workload, int count = 1, Uri? baseAddress = null)
    {
        var path = $"api/v1/alerts?workload={Uri.EscapeDataString(workload)}";
        var uri = baseAddress is null ? new Uri(path, UriKind.Relative) : new Uri(baseAddress, path);
        var listed = await Until(
            async () =>
            {
                using var response = await http.GetAsync(uri);
                if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable) return null;
                response.EnsureSuccessStatusCode();
                return await response.Content.ReadFromJsonAsync<JsonElement[]>();
            },
            alerts => alerts is not null && alerts.Length >= count);
        return listed ?? throw new TimeoutException($"{uri} answered 503 for {Patience.TotalSeconds:0} s");
    }
}

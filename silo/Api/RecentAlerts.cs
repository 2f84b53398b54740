using Microsoft.Extensions.Options;
using OrleansDetect.Grains.Alerts;

namespace OrleansDetect.Silo.Api;

/// <summary>
/// The feed's recent alerts as this silo last read them. While the feed grain is unreachable (its silo just died,
/// the cluster is re-balancing) readers get the last good copy instead of an error; a silo that never read it
/// answers 503 with Retry-After.
/// </summary>
public sealed class RecentAlerts(IGrainFactory grains, IOptions<AlertOptions> options)
{
    /// <summary>How long a read may wait for the feed grain before the last good copy is served.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(3);

    /// <summary>What a 503 asks the client to wait.</summary>
    public const int RetryAfterSeconds = 5;

    private AlertRecord[]? _last;

    /// <summary>503 with <c>Retry-After</c> on <paramref name="response"/>, for answers that are not problem details (pages).</summary>
    public static void AskToRetry(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The newest alerts (newest first) and whether they are a stale copy; null alerts when there is none.</summary>
    public async Task<(AlertRecord[]? Alerts, bool Stale)> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var recent = await grains.GetGrain<IAlertFeedGrain>(IAlertFeedGrain.Key)
                .GetRecent(options.Value.FeedSize)
                .WaitAsync(ReadTimeout, cancellationToken);
            _last = recent;
            return (recent, false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (_last, true);
        }
    }

    /// <summary>503 with Retry-After, as RFC 7807 problem details.</summary>
    public static IResult Unavailable(HttpContext http, string what)
    {
        AskToRetry(http.Response);
        return IngestApi.Problem(StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable",
            $"{what} cannot be read while the cluster recovers from a silo loss; retry in {RetryAfterSeconds} s.");
    }
}

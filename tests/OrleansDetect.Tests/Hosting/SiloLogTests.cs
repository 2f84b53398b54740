using System.Net;
using System.Net.Http.Headers;
using System.Text;
using OrleansDetect.Tests.Failover;
using OrleansDetect.Tests.Infrastructure;
using OrleansDetect.Tests.Sinks;

namespace OrleansDetect.Tests.Hosting;

/// <summary>
/// What a silo process prints over a start, one alert posted to Slack and a SIGTERM, with the webhook, an API key and a
/// Redis password configured: a short summary, one line for the alert, nothing for the post or the activations, and
/// never a secret, even at Debug.
/// </summary>
public sealed class SiloLogTests
{
    private const string ApiKey = "ingest-key-s3cr3t-4417";
    private const string RedisPassword = "redis-s3cr3t-8812";

    [Fact]
    public async Task At_the_default_levels_the_silo_prints_its_summary_and_one_line_per_alert_from_any_working_directory()
    {
        var log = await RunAsync("Logging__LogLevel__Default=Information");

        var entries = SiloLog.Entries(log);
        // appsettings.json was found although the silo started elsewhere: Orleans and Polly are quiet at Information.
        Assert.DoesNotContain(entries, e => e.Category.StartsWith("Orleans.", StringComparison.Ordinal) && e.Level is "info");
        Assert.DoesNotContain(log, line => line.Contains("Configuration Orleans.", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.Category.StartsWith("Polly", StringComparison.Ordinal));
        Assert.Empty(SiloLog.Failures(log));
        // Information: the summary, "Redis is reachable", the alert opened, the stop. Not the Slack post, not an activation.
        string[] expected =
        [
            "OrleansDetect.Grains.Alerts.AlertGrain",
            "OrleansDetect.Silo.Hosting.RedisProbe",
            "OrleansDetect.Silo.Hosting.StartupSummary",
            "OrleansDetect.Silo.Hosting.StartupSummary",
        ];
        Assert.Equal(expected, entries.Where(e => e.Level is "info").Select(e => e.Category).Order(StringComparer.Ordinal));

        var summary = string.Join('\n', log.SkipWhile(l => !l.StartsWith("info: OrleansDetect.Silo.Hosting.StartupSummary", StringComparison.Ordinal)).Skip(1).Take(5));
        Assert.Contains("started: cluster default, service default, clustering Redis", summary, StringComparison.Ordinal);
        Assert.Contains("Orleans silo port", summary, StringComparison.Ordinal);
        Assert.Contains("Storage: Redis; API: keys required (1 ingest, 0 read, 0 admin)", summary, StringComparison.Ordinal);
        Assert.Contains("Alerts: RSS /alerts.rss, Slack on", summary, StringComparison.Ordinal);
        Assert.Contains($"appsettings.json in {AppContext.BaseDirectory}", summary, StringComparison.Ordinal);
        Assert.Contains(log, line => line.Contains("opened: port-sweep", StringComparison.Ordinal));
        AssertNoSecret(log);
    }

    [Fact]
    public async Task At_debug_with_Orleans_option_dumps_on_no_secret_is_printed()
    {
        var log = await RunAsync("Logging__LogLevel__Default=Debug", "Logging__LogLevel__Orleans=Debug", "Logging__LogLevel__Microsoft=Debug");

        Assert.Contains(log, line => line.Contains("Configuration Orleans.", StringComparison.Ordinal));
        AssertNoSecret(log);
    }

    /// <summary>Starts the silo from a temporary directory, sends a sweep that is posted to Slack, stops it; everything it printed.</summary>
    private static async Task<IReadOnlyList<string>> RunAsync(params string[] logging)
    {
        await using var redis = new RedisServer(RedisPassword);
        await redis.StartAsync();
        await using var webhook = await RecordingWebhook.StartAsync(_ => (200, null));
        var elsewhere = Directory.CreateTempSubdirectory("orleansdetect-cwd-").FullName;
        try
        {
            await using var silo = SiloProcess.Start(
            [
                $"ConnectionStrings__redis={redis.ConnectionString}",
                $"Slack__WebhookUrl={webhook.Url}",
                $"Ingest__ApiKeys__0={ApiKey}",
                .. logging,
            ], workingDirectory: elsewhere);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            await silo.WaitReadyAsync(http, TimeSpan.FromSeconds(60));

            var workload = Flows.UniqueWorkload("quiet");
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(silo.BaseAddress, "api/v1/flows"))
            {
                Content = new StringContent(Flows.PublicSweepNdjson(workload, DateTimeOffset.UtcNow.AddMinutes(-2), 30, 22), Encoding.UTF8, "application/x-ndjson"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
            using (var response = await http.SendAsync(request))
            {
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }

            Assert.True(await webhook.WaitForDeliveries(1, TimeSpan.FromSeconds(30)), silo.RecentLog);
            await silo.TerminateAsync();
            await silo.WaitForExitAsync(TimeSpan.FromSeconds(10));
            return silo.Log;
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    private static void AssertNoSecret(IReadOnlyList<string> log)
    {
        Assert.NotEmpty(log);
        foreach (var secret in new[] { RecordingWebhook.SecretPath, "s3cr3tW3bh00k", ApiKey, RedisPassword })
        {
            Assert.DoesNotContain(log, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }
}

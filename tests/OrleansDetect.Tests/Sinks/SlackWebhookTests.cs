using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansDetect.Grains.Sinks.Slack;

namespace OrleansDetect.Tests.Sinks;

public class SlackWebhookTests
{
    [Fact]
    public async Task Rate_limited_message_is_delivered_once_after_the_retry_after_wait()
    {
        await using var webhook = await RecordingWebhook.StartAsync(n => n == 0 ? (429, "1") : (200, null));
        var logs = new CapturedLogs();
        await using var services = SlackServices(webhook.Url, logs);

        var client = services.GetRequiredService<SlackWebhookClient>();
        await client.PostAsync("""{"text":"hello"}""", CancellationToken.None);

        var deliveries = webhook.Deliveries.ToArray();
        Assert.Equal([429, 200], deliveries.Select(d => d.Status));
        Assert.All(deliveries, d => Assert.Equal("""{"text":"hello"}""", d.Body));
        Assert.Equal("/" + RecordingWebhook.SecretPath, deliveries[1].Path);
        var waited = Stopwatch.GetElapsedTime(deliveries[0].Timestamp, deliveries[1].Timestamp);
        Assert.True(waited >= TimeSpan.FromMilliseconds(950), $"retried after {waited.TotalMilliseconds} ms, before Retry-After: 1");
        AssertNoSecretIn(logs);
    }

    [Fact]
    public async Task Final_failure_throws_after_max_attempts_without_the_url()
    {
        await using var webhook = await RecordingWebhook.StartAsync(_ => (503, "0"));
        var logs = new CapturedLogs();
        await using var services = SlackServices(webhook.Url, logs, ("Slack:MaxAttempts", "3"));

        var client = services.GetRequiredService<SlackWebhookClient>();
        var failure = await Assert.ThrowsAsync<SlackDeliveryException>(() => client.PostAsync("{}", CancellationToken.None));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failure.StatusCode);
        Assert.Equal(3, webhook.Deliveries.Count);
        Assert.DoesNotContain("s3cr3t", failure.ToString(), StringComparison.Ordinal);
        AssertNoSecretIn(logs);
    }

    [Fact]
    public async Task An_error_page_that_echoes_the_path_is_not_repeated_only_its_status()
    {
        await using var webhook = await RecordingWebhook.StartAsync(_ => (404, null));
        webhook.ErrorBody = path => $"<html><body><h1>Not Found</h1><p>No hook at {path}</p></body></html>";
        var logs = new CapturedLogs();
        await using var services = SlackServices(webhook.Url, logs);

        var client = services.GetRequiredService<SlackWebhookClient>();
        var failure = await Assert.ThrowsAsync<SlackDeliveryException>(() => client.PostAsync("{}", CancellationToken.None));

        Assert.Equal("Slack webhook answered 404 (NotFound)", failure.Message);
        Assert.DoesNotContain("s3cr3t", failure.ToString(), StringComparison.Ordinal);
        AssertNoSecretIn(logs);
    }

    [Fact]
    public async Task Slacks_own_short_error_code_is_kept()
    {
        await using var webhook = await RecordingWebhook.StartAsync(_ => (400, null));
        webhook.ErrorBody = _ => "invalid_payload\n";
        await using var services = SlackServices(webhook.Url, new CapturedLogs());

        var client = services.GetRequiredService<SlackWebhookClient>();
        var failure = await Assert.ThrowsAsync<SlackDeliveryException>(() => client.PostAsync("{}", CancellationToken.None));

        Assert.Equal("Slack webhook answered 400 (BadRequest): invalid_payload", failure.Message);
    }

    [Fact]
    public async Task Unreachable_webhook_fails_without_the_url()
    {
        string url;
        await using (var gone = await RecordingWebhook.StartAsync(_ => (200, null)))
        {
            url = gone.Url;
        }

        var logs = new CapturedLogs();
        await using var services = SlackServices(url, logs, ("Slack:MaxAttempts", "2"));
        var client = services.GetRequiredService<SlackWebhookClient>();
        var failure = await Assert.ThrowsAsync<SlackDeliveryException>(() => client.PostAsync("{}", CancellationToken.None));

        Assert.Null(failure.StatusCode);
        Assert.DoesNotContain("s3cr3t", failure.ToString(), StringComparison.Ordinal);
        AssertNoSecretIn(logs);
    }

    [Fact]
    public async Task Bad_webhook_url_stops_start_naming_the_key_not_the_value()
    {
        await using var services = SlackServices("ftp://hooks.example/services/s3cr3tW3bh00k", new CapturedLogs());

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Slack:WebhookUrl", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_webhook_is_valid_and_reads_as_not_configured()
    {
        await using var services = SlackServices(null, new CapturedLogs());
        services.GetRequiredService<IStartupValidator>().Validate();
        var options = services.GetRequiredService<IOptions<SlackOptions>>().Value;

        Assert.False(options.IsConfigured);
        Assert.Equal(TimeSpan.FromSeconds(1), options.MinInterval);
        Assert.Equal(10_000, options.MaxQueue);
    }

    [Fact]
    public void Options_text_hides_the_webhook()
    {
        var options = new SlackOptions { WebhookUrl = "https://hooks.slack.com/services/T0/B0/s3cr3t" };
        Assert.DoesNotContain("s3cr3t", options.ToString(), StringComparison.Ordinal);
    }

    internal static ServiceProvider SlackServices(string? webhookUrl, CapturedLogs logs, params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?> { ["Slack:WebhookUrl"] = webhookUrl };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLogging(logging => logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        services.AddSlackSink();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    internal static void AssertNoSecretIn(CapturedLogs logs)
    {
        Assert.NotEmpty(logs.Lines); // the resilience pipeline does log; it must not log the URL
        Assert.DoesNotContain(logs.Lines, line => line.Contains("s3cr3t", StringComparison.Ordinal));
    }
}

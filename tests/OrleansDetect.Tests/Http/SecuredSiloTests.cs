using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Http;

/// <summary>A silo with an ingest key and a Slack webhook (a local listener that rate-limits its first post).</summary>
public sealed class SecuredSiloFixture : SiloFixture
{
    public const string ApiKey = "test-ingest-key-0123456789";

    public SlackListener Slack { get; } = new(rateLimitFirst: 1);

    protected override IEnumerable<string> ExtraArgs() =>
        [$"--Ingest:ApiKeys:0={ApiKey}", $"--Slack:WebhookUrl={Slack.Url}", "--Slack:MinInterval=00:00:00.200"];

    public override async Task InitializeAsync()
    {
        await Slack.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Slack.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SecuredSiloCollection : ICollectionFixture<SecuredSiloFixture>
{
    public const string Name = "secured-silo";
}

[Collection(SecuredSiloCollection.Name)]
public sealed class SecuredSiloTests(SecuredSiloFixture silo)
{
    private static HttpRequestMessage Post(string body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/flows")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/x-ndjson"),
        };
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    [Fact]
    public async Task Ingest_needs_a_configured_key()
    {
        var body = Flows.NdjsonLine("auth", Flows.T0, "10.0.0.5", "198.18.0.1", 443, "established") + "\n";
        using (var missing = await silo.Http.SendAsync(Post(body, null)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        }

        using (var wrong = await silo.Http.SendAsync(Post(body, "test-ingest-key-0123456780")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var right = await silo.Http.SendAsync(Post(body, SecuredSiloFixture.ApiKey));
        Assert.Equal(HttpStatusCode.Accepted, right.StatusCode);
    }

    [Fact]
    public async Task Slack_gets_each_new_alert_once_after_honouring_retry_after_and_again_on_escalation()
    {
        var host = Flows.UniqueWorkload("slack");
        using (var first = await silo.Http.SendAsync(Post(Flows.PublicSweepNdjson(host, Flows.T0, 30, 22), SecuredSiloFixture.ApiKey)))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        }

        Assert.True(await silo.Slack.WaitForDelivered(1, TimeSpan.FromSeconds(30)), "the alert never reached Slack");
        var attempts = silo.Slack.Attempts.ToArray();
        Assert.Equal(429, attempts[0].Status);
        var delivered = attempts.First(a => a.Status == 200);
        Assert.True(Stopwatch.GetElapsedTime(attempts[0].Timestamp, delivered.Timestamp) >= TimeSpan.FromSeconds(0.9), "Retry-After was not honoured");
        using (var message = JsonDocument.Parse(delivered.Body))
        {
            Assert.Contains(host, message.RootElement.GetProperty("text").GetString());
            Assert.Equal("header", message.RootElement.GetProperty("blocks")[0].GetProperty("type").GetString());
        }

        // Escalation to high notifies once more; nothing else is posted.
        using (var second = await silo.Http.SendAsync(Post(Flows.PublicSweepNdjson(host, Flows.T0.AddMinutes(10), 150, 22), SecuredSiloFixture.ApiKey)))
        {
            Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        }

        Assert.True(await silo.Slack.WaitForDelivered(2, TimeSpan.FromSeconds(30)), "the escalation never reached Slack");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var forHost = silo.Slack.Delivered.Where(b => b.Contains(host, StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, forHost.Length);
        Assert.Contains("high", forHost[1], StringComparison.OrdinalIgnoreCase);

        Assert.Single(await Eventually.ListedAlerts(silo.Http, host));
    }
}

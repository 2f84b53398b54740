using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Http;

/// <summary>
/// A silo with an ingest key (the old <c>Ingest:ApiKeys</c> form), a read key and an admin key, and a Slack webhook
/// (a local listener that rate-limits its first post).
/// </summary>
public sealed class SecuredSiloFixture : SiloFixture
{
    public const string ApiKey = "test-ingest-key-0123456789";
    public const string ReadKey = "test-read-key-0123456789";
    public const string AdminKey = "test-admin-key-0123456789";

    public SlackListener Slack { get; } = new(rateLimitFirst: 1);

    /// <summary>A client that sends the read key.</summary>
    public HttpClient Reader { get; private set; } = null!;

    protected override IEnumerable<string> ExtraArgs() =>
    [
        $"--Ingest:ApiKeys:0={ApiKey}",
        $"--Auth:Keys:0:Key={ReadKey}", "--Auth:Keys:0:Role=Read",
        $"--Auth:Keys:1:Key={AdminKey}", "--Auth:Keys:1:Role=Admin",
        $"--Slack:WebhookUrl={Slack.Url}", "--Slack:MinInterval=00:00:00.200",
    ];

    public override async Task InitializeAsync()
    {
        await Slack.StartAsync();
        await base.InitializeAsync();
        Reader = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Reader.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ReadKey);
    }

    public override async Task DisposeAsync()
    {
        Reader?.Dispose();
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

        Assert.Single(await Eventually.ListedAlerts(silo.Reader, host));
    }

    [Theory]
    [InlineData("api/v1/alerts")]
    [InlineData("api/v1/alerts/0000000000000000-1")]
    [InlineData("api/v1/hosts/web-1")]
    [InlineData("api/v1/workloads/web-1")]
    [InlineData("alerts.rss")]
    [InlineData("")]
    [InlineData("alerts/0000000000000000-1")]
    [InlineData("api/v1/collector/exporters")]
    public async Task With_keys_configured_every_read_needs_a_read_or_admin_key(string path)
    {
        async Task<HttpStatusCode> Status(string? scheme, string? credential, string query = "")
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path + query);
            if (scheme is not null) request.Headers.Authorization = new AuthenticationHeaderValue(scheme, credential);
            using var response = await silo.Http.SendAsync(request);
            return response.StatusCode;
        }

        string Basic(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes("analyst:" + key));

        Assert.Equal(HttpStatusCode.Unauthorized, await Status(null, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status("Bearer", SecuredSiloFixture.ApiKey)); // an ingest key reads nothing
        Assert.Equal(HttpStatusCode.Unauthorized, await Status("Bearer", "test-read-key-0123456780"));
        Assert.NotEqual(HttpStatusCode.Unauthorized, await Status("Bearer", SecuredSiloFixture.ReadKey));
        Assert.NotEqual(HttpStatusCode.Unauthorized, await Status("Bearer", SecuredSiloFixture.AdminKey));
        Assert.NotEqual(HttpStatusCode.Unauthorized, await Status("Basic", Basic(SecuredSiloFixture.ReadKey)));
    }

    [Fact]
    public async Task A_feed_reader_without_headers_reads_rss_with_a_read_key_as_token_and_only_rss()
    {
        using (var feed = await silo.Http.GetAsync($"alerts.rss?token={SecuredSiloFixture.ReadKey}"))
        {
            Assert.Equal(HttpStatusCode.OK, feed.StatusCode);
        }

        using (var ingestToken = await silo.Http.GetAsync($"alerts.rss?token={SecuredSiloFixture.ApiKey}"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, ingestToken.StatusCode);
        }

        // The token is for readers that cannot send headers; the API does not take it.
        using var api = await silo.Http.GetAsync($"api/v1/alerts?token={SecuredSiloFixture.ReadKey}");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task A_read_key_cannot_ingest_and_health_stays_open()
    {
        var body = Flows.NdjsonLine("auth-read", Flows.T0, "10.0.0.5", "198.18.0.1", 443, "established") + "\n";
        using (var read = await silo.Http.SendAsync(Post(body, SecuredSiloFixture.ReadKey)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        }

        using (var admin = await silo.Http.SendAsync(Post(body, SecuredSiloFixture.AdminKey)))
        {
            Assert.Equal(HttpStatusCode.Accepted, admin.StatusCode);
        }

        using var ready = await silo.Http.GetAsync("health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }
}

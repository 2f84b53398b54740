using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Console;

/// <summary>
/// One silo with a read key, an admin key and a Slack stand-in (no rate limiting), for the workflow, silence, workload
/// and console tests; the browser tests start one headless Chromium beside it on first use.
/// </summary>
public sealed class ConsoleSiloFixture : SiloFixture
{
    public const string ReadKey = "console-read-key-0123456789";
    public const string AdminKey = "console-admin-key-0123456789";
    public const string IngestKey = "console-ingest-key-0123456789";

    private readonly Lazy<ConsoleBrowser> _browser;

    public ConsoleSiloFixture() => _browser = new Lazy<ConsoleBrowser>(() => new ConsoleBrowser(BaseAddress));

    public SlackListener Slack { get; } = new(rateLimitFirst: 0);

    /// <summary>Sends the admin key.</summary>
    public HttpClient Admin { get; private set; } = null!;

    /// <summary>Sends the read key.</summary>
    public HttpClient Reader { get; private set; } = null!;

    /// <summary>The headless browser (started on first use).</summary>
    public ConsoleBrowser Browser => _browser.Value;

    protected override IEnumerable<string> ExtraArgs() =>
    [
        $"--Auth:Keys:0:Key={ReadKey}", "--Auth:Keys:0:Role=Read",
        $"--Auth:Keys:1:Key={AdminKey}", "--Auth:Keys:1:Role=Admin",
        $"--Auth:Keys:2:Key={IngestKey}", "--Auth:Keys:2:Role=Ingest",
        $"--Slack:WebhookUrl={Slack.Url}", "--Slack:MinInterval=00:00:00.050",
    ];

    public override async Task InitializeAsync()
    {
        await Slack.StartAsync();
        await base.InitializeAsync();
        Admin = Client(AdminKey);
        Reader = Client(ReadKey);
    }

    public override async Task DisposeAsync()
    {
        if (_browser.IsValueCreated) _browser.Value.Dispose();
        Admin?.Dispose();
        Reader?.Dispose();
        await base.DisposeAsync();
        await Slack.DisposeAsync();
    }

    public HttpClient Client(string key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Posts NDJSON with the ingest key; every line must be accepted.</summary>
    public async Task Ingest(string ndjson)
    {
        using var post = await Admin.PostAsync("api/v1/flows", new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson"));
        post.EnsureSuccessStatusCode();
        var body = await post.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, body.GetProperty("rejected").GetInt32());
    }

    /// <summary>A public sweep of <paramref name="count"/> addresses on <paramref name="port"/> from <paramref name="workload"/>, and its alert once listed.</summary>
    /// <remarks>Targets are 198.18.x.y numbered from <paramref name="offset"/>, a second apart from <paramref name="start"/>.</remarks>
    public async Task<JsonElement> Sweep(string workload, int count, DateTimeOffset start, int port = 22, Func<JsonElement, bool>? until = null, int offset = 0)
    {
        var lines = new StringBuilder();
        for (var i = offset; i < offset + count; i++)
        {
            lines.Append(Flows.NdjsonLine(workload, start.AddSeconds(i - offset), "10.0.0.5", $"198.18.{i / 250}.{i % 250 + 1}", port)).Append('\n');
        }

        await Ingest(lines.ToString());
        var listed = await Eventually.Until(
            async () => await Reader.GetFromJsonAsync<JsonElement[]>($"api/v1/alerts?workload={Uri.EscapeDataString(workload)}") ?? [],
            alerts => alerts.Length > 0 && (until is null || until(alerts[0])));
        return listed.Length > 0 ? listed[0] : throw new TimeoutException($"no alert listed for {workload}");
    }

    /// <summary>Slack messages that mention <paramref name="text"/>.</summary>
    public string[] SlackMessagesAbout(string text) => Slack.Delivered.Where(b => b.Contains(text, StringComparison.Ordinal)).ToArray();

    /// <summary>The RSS feed as the read key sees it.</summary>
    public Task<string> Rss() => Reader.GetStringAsync("alerts.rss");
}

[CollectionDefinition(Name)]
public sealed class ConsoleSiloCollection : ICollectionFixture<ConsoleSiloFixture>
{
    public const string Name = "console-silo";
}

using System.Net;
using System.Net.Http.Json;
using System.ServiceModel.Syndication;
using System.Text;
using System.Text.Json;
using System.Xml;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Http;

[Collection(SiloCollection.Name)]
public sealed class AlertFeedTests(SiloFixture silo)
{
    [Fact]
    public async Task Rss_feed_has_one_item_per_alert_with_stable_guid_category_and_evidence()
    {
        var host = Flows.UniqueWorkload("rss");
        using (var post = await silo.Http.PostAsync("api/v1/flows", new StringContent(Flows.PublicSweepNdjson(host, Flows.T0, 200, 22), Encoding.UTF8, "application/x-ndjson")))
        {
            Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        }

        var alert = Assert.Single(await Eventually.ListedAlerts(silo.Http, host));
        var id = alert.GetProperty("id").GetString()!;

        var first = await ReadFeed();
        var item = Assert.Single(first.Items, i => i.Id == id);
        Assert.Equal($"Port sweep: {host} probed tcp/22 on 200 public addresses", item.Title.Text);
        Assert.Contains(item.Categories, c => c.Name == "port-sweep");
        Assert.NotEqual(default, item.PublishDate);
        Assert.Contains("198.18.0.1", ((TextSyndicationContent)item.Summary).Text);

        // Reading again changes nothing about the item: the guid and date are stable.
        var second = await ReadFeed();
        var again = Assert.Single(second.Items, i => i.Id == id);
        Assert.Equal(item.PublishDate, again.PublishDate);

        var one = await silo.Http.GetFromJsonAsync<JsonElement>($"api/v1/alerts/{id}");
        Assert.Equal(200, one.GetProperty("distinctTargets").GetInt32());
        using var missing = await silo.Http.GetAsync("api/v1/alerts/0000000000000000-1");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_workload_named_with_a_control_character_cannot_break_the_feed_the_list_or_the_pages()
    {
        var host = Flows.UniqueWorkload("bell") + "\u0007x";
        var ndjson = Flows.PublicSweepNdjson(host.Replace("\u0007", "\\u0007", StringComparison.Ordinal), Flows.T0, 200, 22);
        using (var post = await silo.Http.PostAsync("api/v1/flows", new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson")))
        {
            Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        }

        var alert = Assert.Single(await Eventually.ListedAlerts(silo.Http, host));
        Assert.Equal(host.Replace('\u0007', '\uFFFD'), alert.GetProperty("workload").GetString());
        var id = alert.GetProperty("id").GetString()!;

        // The feed stays valid for everyone: the poisoned item is there, its control character replaced.
        var item = Assert.Single((await ReadFeed()).Items, i => i.Id == id);
        Assert.Contains(host.Replace('\u0007', '\uFFFD'), item.Title.Text, StringComparison.Ordinal);
        using var page = await silo.Http.GetAsync($"alerts/{id}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.DoesNotContain("\u0007", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_channel_link_and_every_item_link_open_a_page_that_explains_the_alert()
    {
        var host = Flows.UniqueWorkload("pages");
        using (var post = await silo.Http.PostAsync("api/v1/flows", new StringContent(Flows.PublicSweepNdjson(host, Flows.T0, 200, 22), Encoding.UTF8, "application/x-ndjson")))
        {
            Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        }

        var id = Assert.Single(await Eventually.ListedAlerts(silo.Http, host)).GetProperty("id").GetString()!;
        var feed = await ReadFeed();
        using var channel = await silo.Http.GetAsync(feed.Links.First().Uri);
        Assert.Equal(HttpStatusCode.OK, channel.StatusCode);
        Assert.Equal("text/html", channel.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"alerts/{id}", await channel.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var item = Assert.Single(feed.Items, i => i.Id == id);
        using var page = await silo.Http.GetAsync(item.Links.Single().Uri);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains($"Port sweep: {host} probed tcp/22 on 200 public addresses", html, StringComparison.Ordinal);
        Assert.Contains("<th align=\"left\">MITRE ATT&amp;CK</th>", html, StringComparison.Ordinal);
        Assert.Contains("T1046", html, StringComparison.Ordinal);

        using var missing = await silo.Http.GetAsync("alerts/0000000000000000-1");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Feed_links_come_from_configuration_never_from_the_host_header()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "alerts.rss");
        request.Headers.Host = "evil.example";
        using var response = await silo.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rss = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("evil.example", rss, StringComparison.Ordinal);
        Assert.Contains($"<link>{silo.Http.BaseAddress}</link>", rss, StringComparison.Ordinal);
    }

    private async Task<SyndicationFeed> ReadFeed()
    {
        using var response = await silo.Http.GetAsync("alerts.rss");
        Assert.Equal("application/rss+xml", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = XmlReader.Create(stream);
        var formatter = new Rss20FeedFormatter();
        Assert.True(formatter.CanRead(reader));
        formatter.ReadFrom(reader);
        return formatter.Feed;
    }
}

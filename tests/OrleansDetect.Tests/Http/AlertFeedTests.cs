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

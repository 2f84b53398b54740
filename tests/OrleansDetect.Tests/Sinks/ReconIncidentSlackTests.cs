using System.Net;
using System.Net.Http.Headers;
using System.Text;
using OrleansDetect.Tests.Http;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Sinks;

/// <summary>A masscan through a real silo with a Slack webhook: one incident, posted once (at most once more on escalation).</summary>
[Collection(SecuredSiloCollection.Name)]
public sealed class ReconIncidentSlackTests(SecuredSiloFixture silo)
{
    [Fact]
    public async Task A_masscan_of_1000_ports_on_50_hosts_is_one_incident_and_at_most_two_slack_posts()
    {
        var host = Flows.UniqueWorkload("masscan");
        var body = new StringBuilder();
        foreach (var e in Detection.ReconIncidentTests.Masscan(1_000, 50))
        {
            body.Append(Flows.NdjsonLine(host, DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMs), "10.0.0.5", e.Dst.ToString(), e.DstPort)).Append('\n');
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/flows") { Content = new StringContent(body.ToString(), Encoding.UTF8, "application/x-ndjson") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SecuredSiloFixture.ApiKey);
        using (var response = await silo.Http.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var listed = await Eventually.ListedAlerts(silo.Reader, host);
        var incident = Assert.Single(listed);
        Assert.Equal(DetectionTypes.ReconIncident, incident.GetProperty("type").GetString());
        Assert.StartsWith($"Recon incident: {host} swept 1000 ports and scanned 50 hosts", incident.GetProperty("title").GetString());

        // The per-port findings are in the incident's evidence, as GET /api/v1/alerts/{id} shows it.
        var id = incident.GetProperty("id").GetString();
        using var one = await silo.Reader.GetAsync($"api/v1/alerts/{id}");
        var text = await one.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Contains(" public: 50 (medium)", text);
        Assert.Contains("port-scan tcp ", text);

        var posts = await Eventually.Until(() => Task.FromResult(silo.Slack.Delivered.Count(b => b.Contains(host, StringComparison.Ordinal))), n => n >= 1);
        Assert.InRange(posts, 1, 2);
        Assert.Single(await Eventually.ListedAlerts(silo.Reader, host));
    }
}

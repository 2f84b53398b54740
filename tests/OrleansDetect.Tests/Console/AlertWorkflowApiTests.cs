using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Console;

[Collection(ConsoleSiloCollection.Name)]
public sealed class AlertWorkflowApiTests(ConsoleSiloFixture silo)
{
    private static JsonContent Who(string by, string? note = null) => JsonContent.Create(new { by, note });

    [Fact]
    public async Task An_acknowledged_alert_is_audited_still_escalates_and_says_it_was_acknowledged()
    {
        var host = Flows.UniqueWorkload("ack");
        var alert = await silo.Sweep(host, 30, Flows.T0);
        var id = alert.GetProperty("id").GetString()!;
        Assert.Equal("open", alert.GetProperty("state").GetString());
        Assert.Equal("medium", alert.GetProperty("severity").GetString());
        Assert.Single(await Eventually.Until(() => Task.FromResult(silo.SlackMessagesAbout(host)), m => m.Length >= 1));

        using (var ack = await silo.Admin.PostAsync($"api/v1/alerts/{id}/acknowledge", Who("alice", "looking into it")))
        {
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
            var body = await ack.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("acknowledged", body.GetProperty("state").GetString());
            Assert.Equal("alice", body.GetProperty("acknowledged").GetProperty("by").GetString());
            Assert.Equal("looking into it", body.GetProperty("acknowledged").GetProperty("note").GetString());
        }

        var stored = await silo.Reader.GetFromJsonAsync<JsonElement>($"api/v1/alerts/{id}");
        Assert.Equal("acknowledged", stored.GetProperty("state").GetString());
        Assert.True(stored.GetProperty("acknowledged").GetProperty("at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));

        // 150 targets: high. Same alert, still acknowledged, and Slack hears of the escalation with the acknowledgement.
        var escalated = await silo.Sweep(host, 150, Flows.T0.AddSeconds(30), until: a => a.GetProperty("severity").GetString() == "high");
        Assert.Equal(id, escalated.GetProperty("id").GetString());
        Assert.Equal("acknowledged", escalated.GetProperty("state").GetString());
        var messages = await Eventually.Until(() => Task.FromResult(silo.SlackMessagesAbout(host)), m => m.Length >= 2);
        Assert.Equal(2, messages.Length);
        Assert.Contains("Acknowledged by alice", messages[1], StringComparison.Ordinal);
        Assert.DoesNotContain("Acknowledged", messages[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resolved_alert_is_closed_and_the_next_detection_of_its_key_opens_a_new_alert()
    {
        var host = Flows.UniqueWorkload("resolve");
        var first = await silo.Sweep(host, 30, Flows.T0);
        var id = first.GetProperty("id").GetString()!;
        using (var resolve = await silo.Admin.PostAsync($"api/v1/alerts/{id}/resolve", Who("bob", "false positive: pentest")))
        {
            Assert.Equal(HttpStatusCode.OK, resolve.StatusCode);
        }

        // Resolving again, or acknowledging a closed alert: 409, saying who closed it.
        using (var again = await silo.Admin.PostAsync($"api/v1/alerts/{id}/acknowledge", Who("carol")))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Contains("resolved by bob", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Within the suppression interval, the same key: a new alert, not an update of the closed one.
        var next = await silo.Sweep(host, 40, Flows.T0.AddMinutes(2), until: a => a.GetProperty("id").GetString() != id);
        Assert.NotEqual(id, next.GetProperty("id").GetString());
        Assert.Equal("open", next.GetProperty("state").GetString());
        var closed = await silo.Reader.GetFromJsonAsync<JsonElement>($"api/v1/alerts/{id}");
        Assert.Equal("resolved", closed.GetProperty("state").GetString());
        Assert.Equal("bob", closed.GetProperty("resolved").GetProperty("by").GetString());
        Assert.Equal(30, closed.GetProperty("distinctTargets").GetInt32());
        Assert.Equal(2, (await silo.Reader.GetFromJsonAsync<JsonElement[]>($"api/v1/alerts?workload={host}"))!.Length);
        var resolvedOnly = await silo.Reader.GetFromJsonAsync<JsonElement[]>($"api/v1/alerts?workload={host}&state=resolved");
        Assert.Equal(id, Assert.Single(resolvedOnly!).GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("[]", "JSON object")]
    [InlineData("{\"note\":\"x\"}", "'by' is required")]
    [InlineData("{\"by\":42}", "'by' must be a string")]
    [InlineData("{\"by\":\"  \"}", "'by' must not be empty")]
    [InlineData("{\"by\":\"a\",", "not valid JSON")]
    public async Task A_bad_workflow_body_is_a_400_naming_the_field(string body, string expected)
    {
        using var response = await silo.Admin.PostAsync("api/v1/alerts/0000000000000000-1/acknowledge", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("acknowledge", "0000000000000000-1")]
    [InlineData("resolve", "0000000000000000-1")]
    [InlineData("resolve", "not-an-alert")]
    public async Task An_unknown_alert_is_a_404(string step, string id)
    {
        using var response = await silo.Admin.PostAsync($"api/v1/alerts/{id}/{step}", Who("alice"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Only_an_admin_key_may_acknowledge_or_resolve()
    {
        using var read = await silo.Reader.PostAsync("api/v1/alerts/0000000000000000-1/acknowledge", Who("mallory"));
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        using var none = await silo.Http.PostAsync("api/v1/alerts/0000000000000000-1/resolve", Who("mallory"));
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
    }

    [Theory]
    [InlineData("severity=critical", "'severity'")]
    [InlineData("state=closed", "'state'")]
    [InlineData("type=port%20sweep", "'type'")]
    public async Task An_alert_filter_that_can_match_nothing_is_a_400_naming_the_parameter(string query, string parameter)
    {
        using var response = await silo.Reader.GetAsync($"api/v1/alerts?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(parameter, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_alert_carries_a_bounded_timeline_of_its_detections()
    {
        var host = Flows.UniqueWorkload("timeline");
        await silo.Sweep(host, 30, Flows.T0);
        var alert = await silo.Sweep(host, 60, Flows.T0.AddSeconds(10), until: a => a.GetProperty("distinctTargets").GetInt32() >= 60);
        var timeline = alert.GetProperty("timeline").EnumerateArray().ToArray();
        Assert.True(timeline.Length >= 2, alert.ToString());
        Assert.True(timeline.Length <= OrleansDetect.Grains.Alerts.AlertTimeline.Capacity);
        var times = timeline.Select(p => p.GetProperty("at").GetDateTimeOffset()).ToArray();
        Assert.Equal(times.Order(), times);
        Assert.Equal(60, timeline[^1].GetProperty("distinctTargets").GetInt32());
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Console;

[Collection(ConsoleSiloCollection.Name)]
public sealed class SilencesApiTests(ConsoleSiloFixture silo)
{
    private static string In(TimeSpan span) => (DateTimeOffset.UtcNow + span).ToString("O");

    private async Task<string> CreateSilence(object body)
    {
        using var response = await silo.Admin.PostAsJsonAsync("api/v1/silences", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"/api/v1/silences/{created.GetProperty("id").GetString()}", response.Headers.Location?.OriginalString);
        return created.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task A_silenced_sweep_is_listed_with_the_silence_id_but_reaches_neither_slack_nor_rss()
    {
        var prefix = Flows.UniqueWorkload("quiet");
        var silenced = prefix + "-web-1";
        var loud = Flows.UniqueWorkload("loud");
        var id = await CreateSilence(new { workload = prefix + "-web-*", type = "port-sweep", port = 22, endsAt = In(TimeSpan.FromHours(1)), createdBy = "alice", comment = "maintenance" });

        var alert = await silo.Sweep(silenced, 40, Flows.T0);
        Assert.Equal(id, alert.GetProperty("silenceId").GetString());
        Assert.Equal("silenced", alert.GetProperty("state").GetString());

        // The control: an unsilenced sweep after it reaches Slack and RSS through the same outbox.
        var control = await silo.Sweep(loud, 40, Flows.T0);
        await Eventually.Until(() => Task.FromResult(silo.SlackMessagesAbout(loud)), m => m.Length > 0);
        Assert.Single(silo.SlackMessagesAbout(loud));
        var rss = await silo.Rss();
        Assert.Contains(control.GetProperty("id").GetString()!, rss, StringComparison.Ordinal);
        Assert.DoesNotContain(alert.GetProperty("id").GetString()!, rss, StringComparison.Ordinal);
        Assert.Empty(silo.SlackMessagesAbout(silenced));

        // Another port is not matched.
        var otherPort = await silo.Sweep(silenced, 40, Flows.T0, port: 23);
        Assert.Equal("open", otherPort.GetProperty("state").GetString());
    }

    [Fact]
    public async Task An_expired_silence_no_longer_applies()
    {
        var host = Flows.UniqueWorkload("expire");
        var id = await CreateSilence(new { workload = host, endsAt = In(TimeSpan.FromHours(1)), createdBy = "alice" });
        using (var expire = await silo.Admin.DeleteAsync($"api/v1/silences/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, expire.StatusCode);
            Assert.Equal("expired", (await expire.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        }

        var listed = await silo.Reader.GetFromJsonAsync<JsonElement[]>("api/v1/silences?state=expired");
        Assert.Contains(listed!, s => s.GetProperty("id").GetString() == id);

        var alert = await silo.Sweep(host, 40, Flows.T0);
        Assert.Equal("open", alert.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, alert.GetProperty("silenceId").ValueKind);
        await Eventually.Until(() => Task.FromResult(silo.SlackMessagesAbout(host)), m => m.Length > 0);
        Assert.Single(silo.SlackMessagesAbout(host));
    }

    [Fact]
    public async Task A_silence_that_runs_out_stops_applying_without_anyone_expiring_it()
    {
        var host = Flows.UniqueWorkload("runout");
        var id = await CreateSilence(new { workload = host, endsAt = In(TimeSpan.FromSeconds(1.5)), createdBy = "alice" });
        var state = await Eventually.Until(
            async () => (await silo.Reader.GetFromJsonAsync<JsonElement>($"api/v1/silences/{id}")).GetProperty("state").GetString(),
            s => s == "expired");
        Assert.Equal("expired", state);
        var alert = await silo.Sweep(host, 40, Flows.T0);
        Assert.Equal("open", alert.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_cidr_matcher_silences_a_sweep_whose_sample_targets_all_lie_in_it()
    {
        var host = Flows.UniqueWorkload("cidr");
        var id = await CreateSilence(new { workload = host, cidr = "198.18.0.0/15", endsAt = In(TimeSpan.FromHours(1)), createdBy = "alice" });
        var alert = await silo.Sweep(host, 40, Flows.T0);
        Assert.Equal(id, alert.GetProperty("silenceId").GetString());
    }

    [Theory]
    [InlineData("{\"cidr\":\"10.0.0.0/33\",\"endsAt\":\"2099-01-01T00:00:00Z\",\"createdBy\":\"a\"}", "'cidr'")]
    [InlineData("{\"cidr\":\"not-a-network\",\"endsAt\":\"2099-01-01T00:00:00Z\",\"createdBy\":\"a\"}", "'cidr'")]
    [InlineData("{\"port\":70000,\"endsAt\":\"2099-01-01T00:00:00Z\",\"createdBy\":\"a\"}", "'port'")]
    [InlineData("{\"port\":\"22\",\"endsAt\":\"2099-01-01T00:00:00Z\",\"createdBy\":\"a\"}", "'port'")]
    [InlineData("{\"type\":\"Port Sweep\",\"endsAt\":\"2099-01-01T00:00:00Z\",\"createdBy\":\"a\"}", "'type'")]
    [InlineData("{\"workload\":\"\",\"endsAt\":\"2099-01-01T00:00:00Z\",\"createdBy\":\"a\"}", "'workload'")]
    [InlineData("{\"endsAt\":\"2099-01-01T00:00:00Z\",\"createdBy\":\"a\"}", "at least one")]
    [InlineData("{\"workload\":\"w\",\"createdBy\":\"a\"}", "'endsAt' is required")]
    [InlineData("{\"workload\":\"w\",\"endsAt\":\"tomorrow\",\"createdBy\":\"a\"}", "'endsAt'")]
    [InlineData("{\"workload\":\"w\",\"endsAt\":\"2020-01-01T00:00:00Z\",\"createdBy\":\"a\"}", "'endsAt' is in the past")]
    [InlineData("{\"workload\":\"w\",\"startsAt\":\"2099-02-01T00:00:00Z\",\"endsAt\":\"2099-01-01T00:00:00Z\",\"createdBy\":\"a\"}", "'endsAt' must be after startsAt")]
    [InlineData("{\"workload\":\"w\",\"endsAt\":\"2099-01-01T00:00:00Z\"}", "'createdBy' is required")]
    [InlineData("[1]", "JSON object")]
    public async Task A_bad_silence_is_a_400_naming_the_field(string body, string expected)
    {
        using var response = await silo.Admin.PostAsync("api/v1/silences", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_silences_are_404_and_only_admins_create_or_expire()
    {
        using (var missing = await silo.Admin.DeleteAsync("api/v1/silences/s-0000000000000000"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        using (var missingGet = await silo.Reader.GetAsync("api/v1/silences/s-0000000000000000"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missingGet.StatusCode);
        }

        using (var byReader = await silo.Reader.PostAsJsonAsync("api/v1/silences", new { workload = "x", endsAt = In(TimeSpan.FromHours(1)), createdBy = "m" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, byReader.StatusCode);
        }

        using var badState = await silo.Reader.GetAsync("api/v1/silences?state=gone");
        Assert.Equal(HttpStatusCode.BadRequest, badState.StatusCode);
    }
}

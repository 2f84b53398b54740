using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OrleansDetect.Tests.Failover;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Workloads;

/// <summary>A silo whose workload grains deactivate after 2 s without a call (<c>Orleans:WorkloadIdleAfter</c>).</summary>
public sealed class ShortIdleSiloFixture : SiloFixture
{
    protected override IEnumerable<string> ExtraArgs() => ["--Orleans:WorkloadIdleAfter=00:00:02"];
}

/// <summary>
/// A workload that goes quiet is deactivated after its idle time, and what it knew comes back with its next event:
/// its baseline's counters and the failed attempts in its windows (memory storage: its state outlives the activation).
/// </summary>
public sealed class IdleWorkloadTests(ShortIdleSiloFixture fixture) : IClassFixture<ShortIdleSiloFixture>
{
    [Fact]
    public async Task A_quiet_workload_deactivates_and_its_next_events_complete_the_sweep_it_had_begun()
    {
        var workload = Flows.UniqueWorkload("idle");
        // 20 distinct public targets on one port: below the sweep threshold (25), so no alert yet, but windows to keep.
        await PostAsync(ScaleOutFixture.SweepNdjson(workload, 20, 22));
        Assert.Contains(workload, await ActiveWorkloads());

        await Eventually.Until(ActiveWorkloads, active => !active.Contains(workload), TimeSpan.FromSeconds(60));
        await PostAsync(ScaleOutFixture.SweepNdjson(workload, 10, 22, firstTarget: 20));

        var alert = Assert.Single(await Eventually.ListedAlerts(fixture.Http, workload));
        Assert.Equal("port-sweep", alert.GetProperty("type").GetString());
        Assert.Equal(30, alert.GetProperty("distinctTargets").GetInt32());
        var view = await fixture.Http.GetFromJsonAsync<JsonObject>($"api/v1/workloads/{workload}");
        Assert.Equal(30, view!["eventsSeen"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_quiet_workload_without_failed_attempts_keeps_its_event_counts()
    {
        var workload = Flows.UniqueWorkload("idle-quiet");
        var now = DateTimeOffset.UtcNow;
        await PostAsync(string.Concat(Enumerable.Range(0, 5).Select(i =>
            Flows.NdjsonLine(workload, now.AddSeconds(i - 5), "10.0.0.5", "10.1.0.7", 5432, "established") + "\n")));

        await Eventually.Until(ActiveWorkloads, active => !active.Contains(workload), TimeSpan.FromSeconds(60));
        var view = await fixture.Http.GetFromJsonAsync<JsonObject>($"api/v1/workloads/{workload}");

        Assert.Equal(5, view!["eventsSeen"]!.GetValue<long>());
    }

    private async Task PostAsync(string ndjson)
    {
        using var response = await fixture.Http.PostAsync("api/v1/flows", new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private async Task<HashSet<string>> ActiveWorkloads()
    {
        var management = fixture.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        var active = await management.GetActiveGrains(GrainType.Create("host"));
        return [.. active.Select(id => id.Key.ToString()!)];
    }
}

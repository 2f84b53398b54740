using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OrleansDetect.Grains.Workloads;
using OrleansDetect.Tests.Failover;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Workloads;

/// <summary>
/// A workload already active on the silo that takes the request is fed in process, not by a grain call: its findings
/// are still reported before the answer (on a silo with the default idle time, so no keep-alive call is due).
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class InProcessFeedingTests(SiloFixture fixture)
{
    private LocalWorkloads Local => fixture.Services.GetRequiredService<LocalWorkloads>();

    [Fact]
    public async Task A_sweep_completed_in_process_is_reported_when_its_batch_is_answered()
    {
        var workload = Flows.UniqueWorkload("here-sweep");
        await PostAsync(ScaleOutFixture.SweepNdjson(workload, 20, 22));
        Assert.True(Local.Contains(workload));

        await PostAsync(ScaleOutFixture.SweepNdjson(workload, 10, 22, firstTarget: 20));

        // Read once, at once, from the alert's own grain: the 202 promised the alert was reported (the list catches up later).
        var key = new AlertKey { Subject = AlertSubject.Workload(workload), Type = DetectionTypes.PortSweep, Protocol = FlowProtocol.Tcp, Port = 22, Scope = Scopes.Public };
        var alert = await fixture.Services.GetRequiredService<IGrainFactory>().GetGrain<IAlertGrain>(AlertIds.GrainKey(key)).GetCurrent();
        Assert.NotNull(alert);
        Assert.Equal(30, alert.Evidence.DistinctTargets);
    }

    private async Task PostAsync(string ndjson)
    {
        using var response = await fixture.Http.PostAsync("api/v1/flows", new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }
}

/// <summary>
/// A workload fed in process still counts as busy to Orleans, which would otherwise collect it as idle (forgetting the
/// batch keys it answers resends from). The silo's workloads go idle after 2 s.
/// </summary>
public sealed class InProcessKeepAliveTests(ShortIdleSiloFixture fixture) : IClassFixture<ShortIdleSiloFixture>
{
    private LocalWorkloads Local => fixture.Services.GetRequiredService<LocalWorkloads>();


    [Fact]
    public async Task A_workload_fed_in_process_stays_active_past_its_idle_time_and_answers_a_late_resend_from_memory()
    {
        var workload = Flows.UniqueWorkload("here-busy");
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        string Line(int i) => Flows.NdjsonLine(workload, start.AddMilliseconds(i * 100), "10.0.0.5", "10.1.0.7", 5432, "established") + "\n";
        var keyed = string.Concat(Enumerable.Range(0, 5).Select(Line));
        await PostAsync(keyed, "here-busy-1");
        Assert.True(Local.Contains(workload));

        // Three idle times of traffic, an event every 200 ms, all of it fed in process.
        for (var i = 0; i < 30; i++)
        {
            await PostAsync(Line(5 + i));
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        Assert.True(Local.Contains(workload));
        Assert.Contains(workload, await ActiveWorkloads());

        // The activation that processed the keyed batch answers its resend: a new one would count it again.
        await PostAsync(keyed, "here-busy-1");
        var view = await fixture.Http.GetFromJsonAsync<JsonObject>($"api/v1/workloads/{workload}");
        Assert.Equal(35, view!["eventsSeen"]!.GetValue<long>());
    }

    private async Task PostAsync(string ndjson, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/flows") { Content = new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson") };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private async Task<HashSet<string>> ActiveWorkloads()
    {
        var management = fixture.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        var active = await management.GetActiveGrains(GrainType.Create("host"));
        return [.. active.Select(id => id.Key.ToString()!)];
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Failover;

[Collection(ScaleOutCollection.Name)]
public sealed class RedisRestartTests(ScaleOutFixture fixture)
{
    [Fact]
    public async Task Redis_restart_turns_readiness_false_then_true_without_restarting_silos_or_losing_state()
    {
        await fixture.EnsureSilosAsync();
        var silos = fixture.Silos.ToArray();
        var processIds = silos.Select(s => s.ProcessId).ToArray();
        var workload = Flows.UniqueWorkload("redis-restart");
        using (var response = await fixture.PostFlowsAsync(silos[0], ScaleOutFixture.SweepNdjson(workload, 30, 22)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var alert = JsonNode.Parse((await Eventually.ListedAlerts(fixture.Http, workload, baseAddress: silos[0].BaseAddress)).Single().GetRawText())!;
        var alertId = alert["id"]!.GetValue<string>();
        // Older than the feed's one-second write interval: this must survive.
        await Task.Delay(TimeSpan.FromSeconds(2));

        await fixture.Redis.StopAsync();
        try
        {
            foreach (var silo in silos)
            {
                Assert.True(await WaitForReadiness(silo, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30)), $"{silo.BaseAddress} turns unready without Redis");
            }

            using var refused = await fixture.PostFlowsAsync(silos[1], ScaleOutFixture.SweepNdjson(Flows.UniqueWorkload("redis-down"), 5, 22));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
        }
        finally
        {
            await fixture.Redis.StartAsync();
        }

        foreach (var silo in silos)
        {
            Assert.True(await WaitForReadiness(silo, HttpStatusCode.OK, TimeSpan.FromSeconds(60)), $"{silo.BaseAddress} is ready again once Redis is back");
        }

        Assert.Equal(processIds, fixture.Silos.Take(silos.Length).Select(s => s.ProcessId));
        Assert.All(silos, s => Assert.False(s.HasExited));

        foreach (var silo in silos)
        {
            using var response = await fixture.Http.GetAsync(new Uri(silo.BaseAddress, $"api/v1/alerts/{alertId}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var again = Flows.UniqueWorkload("redis-back");
        using (var response = await fixture.PostFlowsAsync(silos[2], ScaleOutFixture.SweepNdjson(again, 30, 22)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        Assert.Single(await Eventually.ListedAlerts(fixture.Http, again, baseAddress: silos[1].BaseAddress));
        Assert.Single((await fixture.Http.GetFromJsonAsync<JsonArray>(new Uri(silos[1].BaseAddress, $"api/v1/alerts?workload={workload}")))!);
    }

    private async Task<bool> WaitForReadiness(SiloProcess silo, HttpStatusCode wanted, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await fixture.ReadyStatusAsync(silo) == wanted) return true;
            await Task.Delay(200);
        }

        return false;
    }
}

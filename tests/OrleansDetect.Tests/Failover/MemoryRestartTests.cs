using System.Net;
using System.Text;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Failover;

/// <summary>A single silo on the in-memory defaults, restarted: what it forgot must not make it reuse what it said.</summary>
public sealed class MemoryRestartTests
{
    [Fact]
    public async Task A_restarted_memory_silo_never_issues_an_alert_id_again()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var workload = Flows.UniqueWorkload("id-restart");
        var ids = new List<string>();
        for (var run = 0; run < 2; run++)
        {
            await using var silo = SiloProcess.Start([]);
            await silo.WaitReadyAsync(http, TimeSpan.FromSeconds(90));
            var sweep = Flows.PublicSweepNdjson(workload, DateTimeOffset.UtcNow.AddMinutes(-5), 120, 22);
            using (var response = await http.PostAsync(new Uri(silo.BaseAddress, "api/v1/flows"), new StringContent(sweep, Encoding.UTF8, "application/x-ndjson")))
            {
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }

            ids.Add(Assert.Single(await Eventually.ListedAlerts(http, workload, baseAddress: silo.BaseAddress)).GetProperty("id").GetString()!);
            await silo.StopAsync(TimeSpan.FromSeconds(30));
        }

        // Same alert key, so the same grain key; memory storage forgot the first, yet the ids differ.
        Assert.Equal(ids[0][..16], ids[1][..16]);
        Assert.NotEqual(ids[0], ids[1]);
    }
}

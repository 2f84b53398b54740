using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using OrleansDetect.Silo;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Workloads;

/// <summary>
/// A workload's baseline survives a silo restart with persistent storage: a real redis-server on a free loopback
/// port, two silos one after the other, everything over HTTP.
/// </summary>
public sealed class BaselineRestartTests
{
    private const long WindowMs = 5 * 60_000;

    [Fact]
    public async Task A_learned_baseline_survives_a_silo_restart_with_redis_storage()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        var workload = Flows.UniqueWorkload("restart");
        var start = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddHours(-3).ToUnixTimeMilliseconds() / WindowMs * WindowMs);

        await using (var first = await RunningSilo.StartAsync(redis.ConnectionString))
        {
            var body = new StringBuilder();
            for (var w = 0; w < 13; w++)
            {
                for (var i = 0; i < 4; i++)
                {
                    body.Append(Flows.NdjsonLine(workload, start.AddMilliseconds(w * WindowMs + i * 1000), "10.0.0.5", "1.1.1.1", 853, "established")).Append('\n');
                }
            }

            await first.PostAsync(body.ToString());
            using var learned = await first.GetHostAsync(workload);
            Assert.Equal("learned", learned.RootElement.GetProperty("baseline").GetProperty("status").GetString());
        }

        await using var second = await RunningSilo.StartAsync(redis.ConnectionString);
        using (var restored = await second.GetHostAsync(workload))
        {
            var baseline = restored.RootElement.GetProperty("baseline");
            Assert.Equal("learned", baseline.GetProperty("status").GetString());
            var resolver = Assert.Single(baseline.GetProperty("resolvers").EnumerateArray());
            Assert.Equal("1.1.1.1", resolver.GetProperty("address").GetString());
            Assert.Equal(52, resolver.GetProperty("connections").GetInt64());
            Assert.Equal(52, restored.RootElement.GetProperty("eventsSeen").GetInt64());
        }

        var later = start.AddMilliseconds(14 * WindowMs);
        await second.PostAsync(Flows.NdjsonLine(workload, later, "10.0.0.5", "1.1.1.1", 853, "established") + "\n" +
                               Flows.NdjsonLine(workload, later.AddSeconds(1), "10.0.0.5", "203.0.113.53", 853, "established") + "\n");
        var alert = Assert.Single(await Eventually.ListedAlerts(second.Http, workload));
        Assert.Equal("unusual-encrypted-dns", alert.GetProperty("type").GetString());
        Assert.Equal("high", alert.GetProperty("severity").GetString());
        Assert.Equal("203.0.113.53", alert.GetProperty("scope").GetString());
    }

    /// <summary>A silo host (Orleans + Kestrel) on free loopback ports, storing in the given Redis.</summary>
    private sealed class RunningSilo : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private RunningSilo(WebApplication app, Uri baseAddress)
        {
            _app = app;
            Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        }

        public HttpClient Http { get; }

        public static async Task<RunningSilo> StartAsync(string redis)
        {
            var baseAddress = new Uri($"http://127.0.0.1:{FreePort.Next()}/");
            var app = SiloApp.Create(
            [
                $"--urls={baseAddress.ToString().TrimEnd('/')}",
                $"--Orleans:Endpoints:SiloPort={FreePort.Next()}",
                $"--Orleans:Endpoints:GatewayPort={FreePort.Next()}",
                $"--ConnectionStrings:redis={redis}",
                "--Logging:LogLevel:Default=Warning",
                "--Detection:Baseline:LearningPeriod=01:00:00",
                "--Detection:Baseline:MinActiveWindows=3",
            ]);
            await app.StartAsync();
            return new RunningSilo(app, baseAddress);
        }

        public async Task PostAsync(string ndjson)
        {
            using var response = await Http.PostAsync("api/v1/flows", new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson"));
            Assert.Equal(202, (int)response.StatusCode);
        }

        public async Task<JsonDocument> GetHostAsync(string workload) =>
            JsonDocument.Parse(await Http.GetStringAsync($"api/v1/hosts/{workload}"));

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

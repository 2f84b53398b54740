using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using OrleansDetect.Tests.Client;
using OrleansDetect.Tests.Failover;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Hosting;

/// <summary>SIGTERM of a silo process after real traffic: quick and quiet with memory storage, every baseline kept with Redis.</summary>
public sealed class ShutdownTests
{
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(10);

    private static readonly string[] DemoWorkloads = ["web-1", "web-2", "db-1", "cache-1", "build-agent-1", "monitor-1", "batch-1", "stub-1"];

    [Fact]
    public async Task Sigterm_with_memory_storage_exits_0_within_10_s_without_a_failure_logged()
    {
        await using var silo = SiloProcess.Start([]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await silo.WaitReadyAsync(http, TimeSpan.FromSeconds(60));
        // The demo's traffic activates workload, alert and feed grains, all with state to write when they deactivate.
        await RunDemoAsync(silo, Flows.UniqueWorkload("sigterm") + "-");

        var clock = Stopwatch.StartNew();
        await silo.TerminateAsync();
        await silo.WaitForExitAsync(ExitBound);

        Assert.True(clock.Elapsed < ExitBound, $"exited after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(0, silo.ExitCode);
        Assert.True(SiloLog.Failures(silo.Log).Count == 0, string.Join('\n', silo.Log));
    }

    [Fact]
    public async Task Sigterm_with_redis_writes_every_workload_baseline()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        // No timer write within the test: only the write on deactivation can keep the baselines.
        string[] settings = [$"ConnectionStrings__redis={redis.ConnectionString}", "Detection__Baseline__WriteInterval=01:00:00"];
        var prefix = Flows.UniqueWorkload("sigterm-redis") + "-";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        await using (var first = SiloProcess.Start(settings))
        {
            await first.WaitReadyAsync(http, TimeSpan.FromSeconds(60));
            await RunDemoAsync(first, prefix);
            await first.TerminateAsync();
            await first.WaitForExitAsync(ExitBound);
            Assert.Equal(0, first.ExitCode);
        }

        await using var second = SiloProcess.Start(settings);
        await second.WaitReadyAsync(http, TimeSpan.FromSeconds(60));
        foreach (var workload in DemoWorkloads)
        {
            var view = await http.GetFromJsonAsync<JsonObject>(new Uri(second.BaseAddress, $"api/v1/workloads/{prefix}{workload}"));
            var baseline = view!["baseline"]!;
            Assert.True(baseline["activeWindows"]!.GetValue<int>() > 0, $"{workload}: {view}");
        }

        // stub-1 sent 25 h of history: its restored baseline is learned, with the resolvers it learned.
        var stub = await http.GetFromJsonAsync<JsonObject>(new Uri(second.BaseAddress, $"api/v1/workloads/{prefix}stub-1"));
        Assert.Equal("learned", stub!["baseline"]!["status"]!.GetValue<string>());
        Assert.NotEmpty(stub["baseline"]!["resolvers"]!.AsArray());
    }

    private static async Task RunDemoAsync(SiloProcess silo, string prefix)
    {
        var (exitCode, output, error) = await ClientCli.RunAsync("demo", "--gateway", silo.BaseAddress.ToString(), "--prefix", prefix, "--seed", "5");
        Assert.True(exitCode == 0, output + error + silo.RecentLog);
    }
}

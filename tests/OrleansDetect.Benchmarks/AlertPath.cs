using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using OrleansDetect.Grains.Alerts;
using OrleansDetect.Grains.Diagnostics;
using OrleansDetect.Grains.Hosting;

namespace OrleansDetect.Benchmarks;

/// <summary>
/// <c>alert-path [alerts] [concurrency]</c>: how many new alerts a second one silo (memory storage) takes through
/// report → outbox → feed (durable) → RSS. Distinct alert keys are reported with bounded concurrency; the clock stops
/// when the feed has stored every one (counted by the feed's own delivery counter).
/// </summary>
public static class AlertPath
{
    public static async Task Run(string[] args)
    {
        var alerts = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
        var concurrency = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 256;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: FreePort(), gatewayPort: FreePort());
            foreach (var name in new[] { StorageNames.Alerts, StorageNames.Baselines })
            {
                // As the silo's memory storage: the Orleans binary serializer.
                silo.AddMemoryGrainStorage(name, options => options.Configure<IServiceProvider>((o, sp) =>
                    o.GrainStorageSerializer = ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(sp)));
            }
            silo.UseInMemoryReminderService();
            silo.Services.AddDetectionServices();
        });
        using var host = builder.Build();
        await host.StartAsync();
        var grains = host.Services.GetRequiredService<IGrainFactory>();

        long stored = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // By name: this runs inside DetectTelemetry's static constructor, before its fields are set.
            if (instrument.Meter.Name == DetectTelemetry.Name && instrument.Name == "orleansdetect.sink.deliveries") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "sink" && Equals(tag.Value, IAlertFeedGrain.SinkName)) Interlocked.Add(ref stored, value);
            }
        });
        listener.Start();

        // Warm up (JIT, first activations), then measure.
        await Report(grains, "warm", 500, concurrency);
        await WaitStored(() => Interlocked.Read(ref stored), 500);
        Interlocked.Exchange(ref stored, 0);

        var clock = Stopwatch.StartNew();
        await Report(grains, "bench", alerts, concurrency);
        var reported = clock.Elapsed;
        await WaitStored(() => Interlocked.Read(ref stored), alerts);
        var inFeed = clock.Elapsed;

        var recent = await grains.GetGrain<IAlertFeedGrain>(IAlertFeedGrain.Key).GetRecent(500);
        var render = Stopwatch.StartNew();
        const int renders = 20;
        for (var i = 0; i < renders; i++) AlertRssFeed.Render(recent, new Uri("http://localhost:5000/"));
        var perRender = render.Elapsed / renders;

        Console.WriteLine($"{alerts} new alerts, {concurrency} reports in flight, one silo, memory storage");
        Console.WriteLine($"  reported (persisted with outbox): {reported.TotalSeconds:0.00} s = {alerts / reported.TotalSeconds:0} alerts/s");
        Console.WriteLine($"  all stored in the feed:           {inFeed.TotalSeconds:0.00} s = {alerts / inFeed.TotalSeconds:0} alerts/s end to end");
        Console.WriteLine($"  RSS render of {recent.Length} items:          {perRender.TotalMilliseconds:0.0} ms");
        await host.StopAsync();
    }

    private static async Task Report(IGrainFactory grains, string prefix, int count, int concurrency)
    {
        var next = -1;
        var start = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds();
        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var finding = new Finding
                {
                    Key = new AlertKey
                    {
                        Subject = AlertSubject.Workload($"{prefix}-{i}"),
                        Type = DetectionTypes.PortSweep,
                        Protocol = FlowProtocol.Tcp,
                        Port = 445,
                        Scope = Scopes.Internal,
                    },
                    Severity = Severity.High,
                    DistinctTargets = 120,
                    SampleTargets = ["10.0.0.1", "10.0.0.2", "10.0.0.3"],
                    WindowStartMs = start,
                    WindowEndMs = start + 300_000,
                    Threshold = 25,
                    ThresholdReason = "static default",
                    Mitre = ["T1046", "T1595.001"],
                    FailedAttempts = 120,
                };
                await grains.GetGrain<IAlertGrain>(AlertIds.GrainKey(finding.Key)).Report(finding);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
    }

    private static async Task WaitStored(Func<long> stored, long expected)
    {
        var waited = Stopwatch.StartNew();
        while (stored() < expected)
        {
            if (waited.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException($"only {stored()} of {expected} alerts reached the feed");
            await Task.Delay(10);
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Telemetry;

/// <summary>
/// A stand-in for an OpenTelemetry collector's OTLP/HTTP receiver on a loopback port: it accepts protobuf exports on
/// /v1/traces, /v1/metrics and /v1/logs and keeps the decoded spans and metric exports.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public OtlpReceiver()
    {
        var port = FreePort.Next();
        Endpoint = $"http://127.0.0.1:{port}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(Endpoint);
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            foreach (var span in OtlpDecoder.Traces(await ReadBody(context))) Spans.Enqueue(span);
            return Accepted(context);
        });
        _app.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            MetricExports.Enqueue((DateTimeOffset.UtcNow, OtlpDecoder.Metrics(await ReadBody(context))));
            return Accepted(context);
        });
        _app.MapPost("/v1/logs", async (HttpContext context) =>
        {
            Interlocked.Increment(ref _logExports);
            await ReadBody(context);
            return Accepted(context);
        });
    }

    private int _logExports;

    /// <summary>The base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT.</summary>
    public string Endpoint { get; }

    public ConcurrentQueue<OtlpSpan> Spans { get; } = new();

    /// <summary>Each metrics export as received: when, and its data points.</summary>
    public ConcurrentQueue<(DateTimeOffset Received, List<OtlpPoint> Points)> MetricExports { get; } = new();

    public int LogExports => Volatile.Read(ref _logExports);

    public Task StartAsync() => _app.StartAsync();

    /// <summary>Waits (bounded) until <paramref name="done"/> holds; returns whether it did.</summary>
    public static async Task<bool> WaitUntil(Func<bool> done, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!done())
        {
            if (Stopwatch.GetTimestamp() > deadline) return false;
            await Task.Delay(100);
        }

        return true;
    }

    /// <summary>The first metrics export whose points were all taken after <paramref name="after"/> (bounded wait).</summary>
    public async Task<List<OtlpPoint>> NextMetricsAfter(DateTimeOffset after, TimeSpan timeout)
    {
        var afterNanos = (ulong)(after.ToUnixTimeMilliseconds() * 1_000_000);
        List<OtlpPoint>? found = null;
        var arrived = await WaitUntil(() =>
        {
            found = MetricExports.Select(e => e.Points).FirstOrDefault(p => p.Count > 0 && p.All(point => point.TimeUnixNano > afterNanos));
            return found is not null;
        }, timeout);
        Assert.True(arrived, $"no metrics export taken after {after:O} arrived within {timeout}");
        return found!;
    }

    private static async Task<byte[]> ReadBody(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    // An empty Export*ServiceResponse is a zero-length protobuf message.
    private static IResult Accepted(HttpContext context) => Results.Bytes([], "application/x-protobuf");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

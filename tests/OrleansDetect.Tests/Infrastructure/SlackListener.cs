using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OrleansDetect.Tests.Infrastructure;

/// <summary>
/// A stand-in for Slack's incoming-webhook endpoint on a loopback port. It answers the first
/// <see cref="RateLimitFirst"/> posts with 429 + Retry-After: 1, then 200, and records every post.
/// </summary>
public sealed class SlackListener : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _posts;
    private bool _refusing;

    public SlackListener(int rateLimitFirst = 1)
    {
        RateLimitFirst = rateLimitFirst;
        var port = FreePort.Next();
        Url = $"http://127.0.0.1:{port}/services/T0000/B0000/sekrit-webhook-token";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/services/T0000/B0000/sekrit-webhook-token", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            if (Refusing)
            {
                Attempts.Enqueue((Stopwatch.GetTimestamp(), 503, body));
                context.Response.StatusCode = 503;
                return;
            }

            var n = Interlocked.Increment(ref _posts);
            if (n <= RateLimitFirst)
            {
                Attempts.Enqueue((Stopwatch.GetTimestamp(), 429, body));
                context.Response.StatusCode = 429;
                context.Response.Headers.RetryAfter = "1";
                return;
            }

            Attempts.Enqueue((Stopwatch.GetTimestamp(), 200, body));
            Delivered.Enqueue(body);
            await context.Response.WriteAsync("ok");
        });
    }

    public int RateLimitFirst { get; }

    /// <summary>While true, every post is answered 503 (Slack down) and only counted as an attempt.</summary>
    public bool Refusing { get => Volatile.Read(ref _refusing); set => Volatile.Write(ref _refusing, value); }

    public string Url { get; }

    public ConcurrentQueue<(long Timestamp, int Status, string Body)> Attempts { get; } = new();

    public ConcurrentQueue<string> Delivered { get; } = new();

    public Task StartAsync() => _app.StartAsync();

    /// <summary>Waits (bounded) until at least <paramref name="count"/> messages were delivered.</summary>
    public async Task<bool> WaitForDelivered(int count, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Delivered.Count < count && Stopwatch.GetTimestamp() < deadline) await Task.Delay(50);
        return Delivered.Count >= count;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

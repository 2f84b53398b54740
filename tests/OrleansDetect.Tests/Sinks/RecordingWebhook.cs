using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrleansDetect.Tests.Sinks;

/// <summary>A stand-in Slack incoming webhook: Kestrel on a free loopback port that records every POST.</summary>
public sealed class RecordingWebhook : IAsyncDisposable
{
    /// <summary>The part of the URL that is the credential; tests assert it never shows up in logs.</summary>
    public const string SecretPath = "services/T0TEST/B0TEST/s3cr3tW3bh00kT0k3n";

    private readonly WebApplication _app;
    private readonly Func<int, (int Status, string? RetryAfter)> _answer;
    private readonly TimeProvider _clock;
    private int _requests;

    private RecordingWebhook(WebApplication app, Func<int, (int Status, string? RetryAfter)> answer, TimeProvider clock)
    {
        _app = app;
        _answer = answer;
        _clock = clock;
    }

    public ConcurrentQueue<Delivery> Deliveries { get; } = new();

    public string Url { get; private set; } = "";

    /// <summary>The body of an error answer, given the request path; Slack's short "rate_limited" code unless set.</summary>
    public Func<string, string>? ErrorBody { get; set; }

    /// <param name="answer">Status (and Retry-After) for the n-th request, counting from 0.</param>
    /// <param name="clock">Stamps each <see cref="Delivery.Timestamp"/> (the system clock unless given): the sender's fake clock, to measure its spacing.</param>
    public static async Task<RecordingWebhook> StartAsync(Func<int, (int Status, string? RetryAfter)> answer, TimeProvider? clock = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var webhook = new RecordingWebhook(app, answer, clock ?? TimeProvider.System);
        app.MapPost("/services/{**rest}", webhook.Receive);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        webhook.Url = $"{address.TrimEnd('/')}/{SecretPath}";
        return webhook;
    }

    /// <summary>Waits (bounded, in real time) until at least <paramref name="count"/> requests have arrived.</summary>
    public async Task<bool> WaitForDeliveries(int count, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (Deliveries.Count < count)
        {
            if (waited.Elapsed >= timeout) return false;
            await Task.Delay(10);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task Receive(HttpContext context)
    {
        var n = Interlocked.Increment(ref _requests) - 1;
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        var (status, retryAfter) = _answer(n);
        Deliveries.Enqueue(new Delivery(_clock.GetTimestamp(), context.Request.Path, body, status));
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        context.Response.StatusCode = status;
        await context.Response.WriteAsync(status == 200 ? "ok" : ErrorBody?.Invoke(context.Request.Path) ?? "rate_limited");
    }

    public sealed record Delivery(long Timestamp, string Path, string Body, int Status);
}

/// <summary>Collects every log line and exception text, to check what a secret leaks into.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            sink.Lines.Enqueue($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : "";
            sink.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{values}] {exception}");
        }
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OrleansDetect.Tests.Client;

/// <summary>A request the fake gateway received.</summary>
internal sealed record RecordedRequest(string Method, string PathAndQuery, string? ContentType, string? Authorization, string Body)
{
    public string? IdempotencyKey { get; init; }

    /// <summary>The body's lines without their newlines.</summary>
    public string[] Lines => Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>What the fake answers.</summary>
internal sealed record FakeAnswer(int Status, string Body = "", string ContentType = "application/json", TimeSpan? RetryAfter = null);

/// <summary>
/// A stand-in for the silo's HTTP API on a free loopback port, recording what the client under test sends.
/// By default it accepts every flow line and knows no alerts.
/// </summary>
internal sealed class FakeGateway : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<RecordedRequest, int, FakeAnswer> _answer;
    private readonly List<RecordedRequest> _requests = [];
    private readonly Task _loop;

    public FakeGateway(Func<RecordedRequest, int, FakeAnswer>? answer = null)
    {
        _answer = answer ?? ((request, _) => AcceptAll(request));
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requests) return [.. _requests];
        }
    }

    public IReadOnlyList<RecordedRequest> FlowPosts => [.. Requests.Where(r => r.Method == "POST" && r.PathAndQuery == "/api/v1/flows")];

    /// <summary>The 202 a real gateway gives when every line parsed.</summary>
    public static FakeAnswer AcceptAll(RecordedRequest request) => request.Method == "POST"
        ? new FakeAnswer(202, $$"""{"accepted":{{request.Lines.Length}},"rejected":0,"late":0,"errors":[]}""")
        : new FakeAnswer(200, "[]");

    /// <summary>A port nobody listens on (for a dead gateway).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var request = new RecordedRequest(
                context.Request.HttpMethod,
                context.Request.Url!.PathAndQuery,
                context.Request.ContentType,
                context.Request.Headers["Authorization"],
                await reader.ReadToEndAsync())
            {
                IdempotencyKey = context.Request.Headers["Idempotency-Key"],
            };
            int index;
            lock (_requests)
            {
                index = _requests.Count;
                _requests.Add(request);
            }

            var answer = _answer(request, index);
            var response = context.Response;
            response.StatusCode = answer.Status;
            response.ContentType = answer.ContentType;
            if (answer.RetryAfter is { } retryAfter) response.Headers["Retry-After"] = ((int)retryAfter.TotalSeconds).ToString();
            var bytes = Encoding.UTF8.GetBytes(answer.Body);
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes);
            response.Close();
        }
    }
}

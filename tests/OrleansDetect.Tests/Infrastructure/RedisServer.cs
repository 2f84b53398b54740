using System.Diagnostics;
using System.Net.Sockets;

namespace OrleansDetect.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port with append-only persistence in a temporary directory,
/// so it can be stopped and started again on the same port with its data. With a password it requires
/// authentication, and <see cref="ConnectionString"/> carries it.
/// </summary>
public sealed class RedisServer(string? password = null) : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("orleansdetect-redis-").FullName;
    private Process? _process;

    public int Port { get; } = FreePort.Next();

    public string ConnectionString => password is null ? $"127.0.0.1:{Port}" : $"127.0.0.1:{Port},password={password}";

    public static string Executable()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "redis-server");
            if (File.Exists(candidate)) return candidate;
        }

        throw new InvalidOperationException("redis-server is not installed: these tests need a real Redis (apt-get install -y redis-server).");
    }

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(Executable())
        {
            ArgumentList = { "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", _directory, "--save", "", "--appendonly", "yes", "--appendfsync", "always" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (password is not null)
        {
            start.ArgumentList.Add("--requirepass");
            start.ArgumentList.Add(password);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (var i = 0; i < 100; i++)
        {
            if (await AnswersAsync()) return;
            await Task.Delay(100);
        }

        throw new InvalidOperationException($"redis-server did not answer on port {Port} within 10 s");
    }

    /// <summary>Stops the server (its append-only file keeps the data for the next start).</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    /// <summary>Stops the server, deletes its data, and starts it again on the same port: Redis restarted without persistence.</summary>
    public async Task RestartEmptyAsync()
    {
        await StopAsync();
        foreach (var file in Directory.EnumerateFileSystemEntries(_directory))
        {
            if (Directory.Exists(file)) Directory.Delete(file, recursive: true);
            else File.Delete(file);
        }

        await StartAsync();
    }

    /// <summary>Runs a Redis command over RESP and returns the raw reply text.</summary>
    public async Task<string> CommandAsync(params string[] words)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port);
        var stream = client.GetStream();
        var request = $"*{words.Length}\r\n" + string.Concat(words.Select(w => $"${System.Text.Encoding.UTF8.GetByteCount(w)}\r\n{w}\r\n"));
        await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(request));
        var buffer = new byte[1 << 20];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
    }

    private async Task<bool> AnswersAsync()
    {
        try
        {
            // Without authentication a password-protected server answers NOAUTH: it is up all the same.
            var reply = await CommandAsync("PING");
            return reply.StartsWith("+PONG", StringComparison.Ordinal) || reply.StartsWith("-NOAUTH", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }
}

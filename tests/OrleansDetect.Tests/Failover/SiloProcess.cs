using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace OrleansDetect.Tests.Failover;

/// <summary>
/// A silo as a real child process (<c>dotnet OrleansDetect.Silo.dll</c> from the test output directory, where
/// the project reference puts it with its deps and runtimeconfig), so a test can <c>kill -9</c> or SIGTERM it and
/// read what it wrote.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorsClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(Process process, int httpPort, int siloPort)
    {
        _process = process;
        SiloPort = siloPort;
        BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/");
    }

    public Uri BaseAddress { get; }

    public int SiloPort { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the silo wrote, for failure messages.</summary>
    public string RecentLog => string.Join('\n', _log.TakeLast(40));

    /// <summary>Every line the silo wrote to stdout and stderr, in order.</summary>
    public IReadOnlyList<string> Log => [.. _log];

    /// <summary>The lines the silo wrote to stderr.</summary>
    public IReadOnlyList<string> Errors => [.. _errors];

    public int ExitCode => _process.ExitCode;

    /// <param name="settings"><c>KEY=value</c> environment variables, applied after the defaults (which they may override).</param>
    /// <param name="workingDirectory">Where the silo is started from; by default the directory that holds it.</param>
    public static SiloProcess Start(IEnumerable<string> settings, string? workingDirectory = null)
    {
        var httpPort = Infrastructure.FreePort.Next();
        var siloPort = Infrastructure.FreePort.Next();
        var gatewayPort = Infrastructure.FreePort.Next();
        var directory = AppContext.BaseDirectory;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? directory,
            ArgumentList = { Path.Combine(directory, "OrleansDetect.Silo.dll"), $"--urls=http://127.0.0.1:{httpPort}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["Orleans__Endpoints__SiloPort"] = siloPort.ToString();
        start.Environment["Orleans__Endpoints__GatewayPort"] = gatewayPort.ToString();
        start.Environment["Orleans__Endpoints__AdvertisedIPAddress"] = "127.0.0.1";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Orleans.Runtime.MembershipService"] = "Warning";
        foreach (var setting in settings)
        {
            var eq = setting.IndexOf('=');
            start.Environment[setting[..eq]] = setting[(eq + 1)..];
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start the silo");
        var silo = new SiloProcess(process, httpPort, siloPort);
        process.OutputDataReceived += (_, e) => silo.Keep(e.Data, silo._outputClosed);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) silo._errors.Enqueue(e.Data);
            silo.Keep(e.Data, silo._errorsClosed);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Waits (bounded) until <c>/health/ready</c> answers 200.</summary>
    public async Task WaitReadyAsync(HttpClient http, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"silo exited with {_process.ExitCode}:\n{RecentLog}");
            if (await StatusAsync(http, "health/ready") == HttpStatusCode.OK) return;
            await Task.Delay(200);
        }

        throw new TimeoutException($"silo {BaseAddress} not ready within {timeout.TotalSeconds:0} s:\n{RecentLog}");
    }

    public async Task<HttpStatusCode?> StatusAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(BaseAddress, path));
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Waits (bounded) for the process to exit by itself and for its output to be read to the end.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            await Task.WhenAll(_outputClosed.Task, _errorsClosed.Task).WaitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"silo did not exit within {timeout.TotalSeconds:0} s:\n{RecentLog}");
        }
    }

    /// <summary>SIGTERM, what a container runtime or systemd sends: the silo shuts down gracefully.</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString() } })
                         ?? throw new InvalidOperationException("kill did not start");
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -TERM {_process.Id} exited with {kill.ExitCode}");
    }

    /// <summary><c>kill -9</c>: no shutdown hooks, no flushes.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then waits (bounded) for the silo to leave the cluster and exit; kill -9 if it does not.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited) return;
        await TerminateAsync();
        try
        {
            await WaitForExitAsync(timeout);
        }
        catch (TimeoutException)
        {
            await KillAsync();
            throw;
        }
    }

    private void Keep(string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        _log.Enqueue(line);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}

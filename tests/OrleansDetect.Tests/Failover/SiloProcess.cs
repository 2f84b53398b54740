using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace OrleansDetect.Tests.Failover;

/// <summary>
/// A silo as a real child process (<c>dotnet OrleansDetect.Silo.dll</c> from the test output directory, where
/// the project reference puts it with its deps and runtimeconfig), so a test can <c>kill -9</c> it.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

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

    public static SiloProcess Start(IEnumerable<string> settings)
    {
        var httpPort = Infrastructure.FreePort.Next();
        var siloPort = Infrastructure.FreePort.Next();
        var gatewayPort = Infrastructure.FreePort.Next();
        var directory = AppContext.BaseDirectory;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
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
        process.OutputDataReceived += (_, e) => silo.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Keep(e.Data);
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
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            throw new TimeoutException($"silo {BaseAddress} did not stop within {timeout.TotalSeconds:0} s of SIGTERM:\n{RecentLog}");
        }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _log.Enqueue(line);
        while (_log.Count > 200) _log.TryDequeue(out _);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}

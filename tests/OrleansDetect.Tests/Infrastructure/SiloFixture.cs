using Microsoft.AspNetCore.Builder;
using OrleansDetect.Silo;

namespace OrleansDetect.Tests.Infrastructure;

/// <summary>
/// A real silo (Orleans + Kestrel) on free loopback ports, started once per test collection. Subclasses add
/// configuration (API keys, a Slack webhook).
/// </summary>
public class SiloFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    protected virtual IEnumerable<string> ExtraArgs() => [];

    /// <summary>HTTP, silo and gateway ports on free loopback ports, as arguments for <see cref="SiloApp.Create"/>.</summary>
    public static string[] LoopbackPorts() =>
    [
        $"--urls=http://127.0.0.1:{FreePort.Next()}",
        $"--Orleans:Endpoints:SiloPort={FreePort.Next()}",
        $"--Orleans:Endpoints:GatewayPort={FreePort.Next()}",
    ];

    public virtual async Task InitializeAsync()
    {
        var httpPort = FreePort.Next();
        BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/");
        string[] args =
        [
            $"--urls={BaseAddress.ToString().TrimEnd('/')}",
            $"--Orleans:Endpoints:SiloPort={FreePort.Next()}",
            $"--Orleans:Endpoints:GatewayPort={FreePort.Next()}",
            "--Logging:LogLevel:Default=Warning",
            .. ExtraArgs(),
        ];
        _app = SiloApp.Create(args);
        await _app.StartAsync();
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public virtual async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SiloCollection : ICollectionFixture<SiloFixture>
{
    public const string Name = "silo";
}

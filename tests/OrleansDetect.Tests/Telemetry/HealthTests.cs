using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansDetect.Silo;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Telemetry;

[Collection(TracedSiloCollection.Name)]
public sealed class HealthTests(TracedSiloFixture silo)
{
    [Fact]
    public async Task A_running_silo_is_live_and_ready()
    {
        using var live = await silo.Http.GetAsync("health/live");
        using var ready = await silo.Http.GetAsync("health/ready");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Once_shutdown_starts_the_silo_stays_live_but_is_no_longer_ready()
    {
        var port = FreePort.Next();
        var app = SiloApp.Create([
            $"--urls=http://127.0.0.1:{port}",
            $"--Orleans:Endpoints:SiloPort={FreePort.Next()}",
            $"--Orleans:Endpoints:GatewayPort={FreePort.Next()}",
            "--Logging:LogLevel:Default=Warning",
            "--Dashboard:Enabled=false",
        ]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(20) };
        try
        {
            using (var ready = await http.GetAsync("health/ready"))
            {
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            }

            // ApplicationStopping callbacks run before the silo leaves the cluster and before Kestrel stops, so a
            // probe made from one sees exactly what a load balancer polling during shutdown sees.
            HttpStatusCode? readyWhileStopping = null, liveWhileStopping = null;
            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStopping.Register(() =>
            {
                readyWhileStopping = Probe(http, "health/ready");
                liveWhileStopping = Probe(http, "health/live");
            });

            await app.StopAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readyWhileStopping);
            Assert.Equal(HttpStatusCode.OK, liveWhileStopping);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_dashboard_is_served_under_dashboard()
    {
        using var response = await silo.Http.GetAsync("dashboard/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType?.ToString() ?? "", StringComparison.Ordinal);
    }

    // Blocking is deliberate: the callback must not return (letting shutdown go on) before the probe is answered.
    private static HttpStatusCode Probe(HttpClient http, string path)
    {
        using var response = http.GetAsync(path).WaitAsync(TimeSpan.FromSeconds(15)).GetAwaiter().GetResult();
        return response.StatusCode;
    }
}

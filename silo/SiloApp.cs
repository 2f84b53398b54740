using OrleansDetect.Silo.Api;
using OrleansDetect.Silo.Collector;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Silo;

/// <summary>Builds the silo: Orleans plus the HTTP API on Kestrel. Tests start the same host on loopback ports.</summary>
public static class SiloApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddOrleansDetectSilo();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapIngestApi();
        app.MapAlertsApi();
        app.MapWorkloadsApi();
        app.MapHealthApi();
        app.MapDashboardApi();
        app.MapCollectorApi();
        return app;
    }
}

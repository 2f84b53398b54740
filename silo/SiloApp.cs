using Microsoft.Extensions.Options;
using OrleansDetect.Silo.Api;
using OrleansDetect.Silo.Collector;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Silo;

/// <summary>Builds the silo: Orleans plus the HTTP API on Kestrel. Tests start the same host on loopback ports.</summary>
public static class SiloApp
{
    /// <summary>Exit code when the silo cannot start: bad configuration (reported before anything starts), a port in use.</summary>
    public const int FailedToStartExitCode = 1;

    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The content root is the app's directory, so appsettings.json is found from any working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddOrleansDetectSilo();
        builder.Services.AddOrleansDetectOpenApi();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapIngestApi();
        app.MapAlertsApi();
        app.MapAlertWorkflowApi();
        app.MapSilencesApi();
        app.MapAlertPages();
        app.MapWorkloadsApi();
        app.MapHealthApi();
        app.MapDashboardApi();
        app.MapCollectorApi();
        app.MapOpenApi().RequireKey(KeyRole.Read, browser: true);
        return app;
    }

    /// <summary>
    /// Runs the silo until it is stopped. Bad configuration ends it before anything starts, with one
    /// <c>error: {key}: {problem}</c> line per bad key on stderr and exit code 1.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        WebApplication app;
        try
        {
            app = Create(args);
            // The host runs this validation too, but only after Orleans has begun starting, and a conversion failure
            // there escapes Run as an unhandled exception (a stack trace, SIGABRT). Bind and validate every option first.
            app.Services.GetService<IStartupValidator>()?.Validate();
        }
        catch (Exception e) when (ConfigurationErrors.Describe(e) is { } errors)
        {
            foreach (var error in errors)
            {
                await Console.Error.WriteLineAsync($"error: {error}");
            }

            return FailedToStartExitCode;
        }

        await using (app)
        {
            try
            {
                await app.RunAsync();
            }
            catch (Exception e)
            {
                // A failure to start (a port in use, say): hosting has logged it in full; end like a failed command, not an abort.
                var errors = ConfigurationErrors.Describe(e) ?? [e.Message.ReplaceLineEndings(" ")];
                await Console.Error.WriteLineAsync($"error: {string.Join("; ", errors)}");
                return FailedToStartExitCode;
            }
        }

        return 0;
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansDetect.Detection;
using OrleansDetect.Grains.Alerts;
using OrleansDetect.Grains.Sinks.Slack;

namespace OrleansDetect.Grains.Hosting;

/// <summary>Registers what the grains need: detection and alert settings (validated on start), scope, sinks, the clock.</summary>
public static class DetectionServices
{
    public static IServiceCollection AddDetectionServices(this IServiceCollection services)
    {
        services.AddDetectionOptions();
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AlertOptions>, AlertOptionsValidator>();
        services.AddSlackSink();

        // Tests register a FakeTimeProvider first; TryAdd keeps it.
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}

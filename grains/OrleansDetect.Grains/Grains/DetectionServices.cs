using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansDetect.Detectors;
using OrleansDetect.Sinks;

namespace OrleansDetect.Grains;

/// <summary>Registers what the grains need: detection and alert settings (validated on start), scope, sinks.</summary>
public static class DetectionServices
{
    public static IServiceCollection AddDetectionServices(this IServiceCollection services)
    {
        services.AddDetectionOptions();
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AlertOptions>, AlertOptionsValidator>();
        services.AddSlackSink();
        services.AddTimeProviderIfMissing();
        return services;
    }

    private static void AddTimeProviderIfMissing(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider))) services.AddSingleton(TimeProvider.System);
    }
}

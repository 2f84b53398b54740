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
        services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ConsoleOptions>, ConsoleOptionsValidator>();
        services.TryAddSingleton<AlertLinks>();
        services.AddSlackSink();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAlertSinkRoute, FeedSinkRoute>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAlertSinkRoute, SlackSinkRoute>());

        // Orleans refuses reminder periods under a minute unless told otherwise; the alert outbox's resume period is
        // validated against this lower bound instead.
        services.Configure<Orleans.Hosting.ReminderOptions>(o => o.MinimumReminderPeriod = AlertOptionsValidator.MinimumResumeInterval);

        // Tests register a FakeTimeProvider first; TryAdd keeps it.
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}

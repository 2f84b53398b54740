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
        services.TryAddSingleton<Workloads.WorkloadReferences>();
        services.TryAddSingleton(sp => new Fleet.ReconSignalInbox { MaxSignals = sp.GetRequiredService<DetectionSettings>().Fleet.MaxBufferedSignals });
        services.TryAddSingleton<Workloads.LocalWorkloads>();
        services.TryAddSingleton<Workloads.WorkloadCallQueue>();
        services.TryAddSingleton<Alerts.Silences.SilenceCache>();
        services.TryAddSingleton<Alerts.Silences.SilenceRefresh>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<Alerts.Silences.SilenceRefresh>());
        services.AddSlackSink();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAlertSinkRoute, FeedSinkRoute>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAlertSinkRoute, SlackSinkRoute>());

        // Orleans refuses reminder periods under its minimum (a minute); an operator who shortens the outbox's resume
        // period lowers it to match (and Orleans says at start that short periods are unusual).
        services.AddOptions<Orleans.Hosting.ReminderOptions>().Configure<IOptions<AlertOptions>>((reminders, alerts) =>
        {
            if (alerts.Value.ResumeInterval < reminders.MinimumReminderPeriod) reminders.MinimumReminderPeriod = alerts.Value.ResumeInterval;
        });

        // Tests register a FakeTimeProvider first; TryAdd keeps it.
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}

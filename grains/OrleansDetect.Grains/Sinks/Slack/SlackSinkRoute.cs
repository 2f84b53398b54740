using Microsoft.Extensions.Options;
using OrleansDetect.Grains.Alerts;

namespace OrleansDetect.Grains.Sinks.Slack;

/// <summary>Slack: new alerts, severity escalations and rate-limited incident updates, when a webhook is configured.</summary>
public sealed class SlackSinkRoute(IOptions<SlackOptions> options) : IAlertSinkRoute
{
    public string Name => ISlackNotifierGrain.SinkName;

    public bool Enabled { get; } = options.Value.IsConfigured;

    public bool NotificationsOnly => true;

    // The notifier remembers posts in memory only: a redelivery after a crash would post again.
    public bool Idempotent => false;

    public IAlertSinkGrain Resolve(IGrainFactory grains) => grains.GetGrain<ISlackNotifierGrain>(ISlackNotifierGrain.DefaultKey);
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using OrleansDetect.Grains.Diagnostics;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace OrleansDetect.Grains.Sinks.Slack;

public static class SlackSinkServiceCollectionExtensions
{
    /// <summary>The name of the Slack webhook client's resilience pipeline (in resilience logs and metrics).</summary>
    public const string PipelineName = "slack-webhook";

    /// <summary>
    /// Binds <see cref="SlackOptions"/> from the "Slack" section (validated at start) and registers
    /// <see cref="SlackWebhookClient"/> with retries and without HttpClient's request logging, which would
    /// print the secret webhook URL.
    /// </summary>
    public static IServiceCollection AddSlackSink(this IServiceCollection services)
    {
        services.AddOptions<SlackOptions>().BindConfiguration(SlackOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SlackOptions>, SlackOptionsValidator>());

        services.AddHttpClient<SlackWebhookClient>(http =>
            {
                // The pipeline bounds the whole call (attempts × RequestTimeout + capped delays);
                // HttpClient's own 100 s default would cut a Retry-After wait short.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .RemoveAllLoggers()
            .AddResilienceHandler(PipelineName, (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<SlackOptions>>().Value;
                if (options.MaxAttempts > 1)
                {
                    pipeline.AddRetry(RetryOptions(options));
                }

                pipeline.AddTimeout(new TimeoutStrategyOptions { Timeout = options.RequestTimeout });
            });

        return services;
    }

    private static HttpRetryStrategyOptions RetryOptions(SlackOptions options)
    {
        // Defaults retry what is transient: 408, 429, 5xx, HttpRequestException, an attempt's timeout.
        var retry = new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = options.MaxAttempts - 1,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromSeconds(1),
            MaxDelay = options.MaxRetryDelay,
            ShouldRetryAfterHeader = true,
            OnRetry = _ =>
            {
                DetectTelemetry.SinkRetries.Add(1, DetectTelemetry.SinkTag("slack"));
                return default;
            },
        };

        // MaxDelay does not apply to the Retry-After delay generator; cap it too, so a server asking
        // for an hour cannot park the notifier for an hour (it backs off and retries on its own).
        var retryAfter = retry.DelayGenerator;
        if (retryAfter is not null)
        {
            var cap = options.MaxRetryDelay;
            retry.DelayGenerator = async args =>
            {
                var delay = await retryAfter(args);
                return delay > cap ? cap : delay;
            };
        }

        return retry;
    }
}

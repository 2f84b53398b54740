using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;
using OrleansDetect.Grains.Hosting;
using OrleansDetect.Grains.Workloads;
using OrleansDetect.Silo.Collector;
using StackExchange.Redis;

namespace OrleansDetect.Silo.Hosting;

/// <summary>Wires Orleans, storage, detection settings and sinks into the silo host.</summary>
public static class SiloHostingExtensions
{
    public const string RedisConnectionName = "redis";

    public static WebApplicationBuilder AddOrleansDetectSilo(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;

        services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestOptions>, IngestOptionsValidator>();
        services.AddOptions<IngestRetryOptions>().BindConfiguration(IngestRetryOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestRetryOptions>, IngestRetryOptionsValidator>();
        services.AddSingleton<IngestAvailability>();
        services.AddDetectionServices();
        services.AddSingleton<ApiKeyCheck>();
        services.AddProblemDetails();
        services.AddHealthChecks().AddCheck<ClusterReadinessCheck>("cluster", tags: ["ready"]);

        builder.UseOrleans(silo =>
        {
            // How fast a dead silo is noticed (Orleans:Membership:ProbeTimeout, NumMissedProbesLimit, …): Orleans binds
            // ClusterId, ServiceId and Endpoints (AdvertisedIPAddress, ports) from "Orleans" itself, but not these.
            services.AddOptions<ClusterMembershipOptions>().BindConfiguration("Orleans:Membership");

            var redis = configuration.GetConnectionString(RedisConnectionName);
            if (!string.IsNullOrWhiteSpace(redis))
            {
                var redisOptions = ConfigurationOptions.Parse(redis);
                services.AddOptions<RedisProbeOptions>().BindConfiguration(RedisProbeOptions.SectionName);
                services.AddSingleton(sp => ActivatorUtilities.CreateInstance<RedisProbe>(sp, redis));
                services.AddHostedService(sp => sp.GetRequiredService<RedisProbe>());
                services.AddHealthChecks().AddCheck<RedisReadinessCheck>("redis", tags: ["ready"]);
                silo.UseRedisClustering(o => o.ConfigurationOptions = redisOptions.Clone());
                // The default directory's partitions die with their silo, so a workload on a surviving silo could be
                // activated twice (its windows split) after another silo dies. The distributed directory hands its
                // ranges over consistently on membership changes: one activation per workload throughout.
#pragma warning disable ORLEANSEXP003 // Experimental in Orleans 10; chosen over Microsoft.Orleans.GrainDirectory.Redis, which drags Roslyn into the silo.
                silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
                foreach (var name in new[] { StorageNames.Alerts, StorageNames.Baselines })
                {
                    silo.AddRedisGrainStorage(name, options => options.Configure<IServiceProvider>((o, sp) =>
                    {
                        o.ConfigurationOptions = redisOptions.Clone();
                        // The Orleans binary serializer keys fields by [Id], not by .NET type name,
                        // so renaming a state class or adding a field does not orphan stored state.
                        o.GrainStorageSerializer = ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(sp);
                    }));
                }
            }
            else
            {
                if (!configuration.GetSection("Orleans:Clustering").Exists())
                {
                    silo.UseLocalhostClustering(
                        siloPort: configuration.GetValue("Orleans:Endpoints:SiloPort", EndpointOptions.DEFAULT_SILO_PORT),
                        gatewayPort: configuration.GetValue("Orleans:Endpoints:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT));
                }

                if (!configuration.GetSection("Orleans:GrainStorage").Exists())
                {
                    silo.AddMemoryGrainStorage(StorageNames.Alerts);
                    silo.AddMemoryGrainStorage(StorageNames.Baselines);
                }
            }

            silo.AddActivityPropagation();
        });

        // After Orleans, so the collector's first flush finds the silo started.
        services.AddNetFlowCollector();
        builder.AddOrleansDetectTelemetry();
        return builder;
    }
}

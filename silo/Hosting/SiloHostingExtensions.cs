using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using OrleansDetect.Grains.Hosting;
using OrleansDetect.Grains.Workloads;
using OrleansDetect.Silo.Api;
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

        services.AddSingleton(typeof(IValidateOptions<>), typeof(ConfigurationConversionCheck<>));
        services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestOptions>, IngestOptionsValidator>();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddOptions<IngestRetryOptions>().BindConfiguration(IngestRetryOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestRetryOptions>, IngestRetryOptionsValidator>();
        services.AddOptions<BatchKeyOptions>().BindConfiguration(BatchKeyOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BatchKeyOptions>, BatchKeyOptionsValidator>();
        services.AddSingleton<IngestAvailability>();
        services.AddHostedService<StartupSummary>();
        services.AddDetectionServices();
        services.AddSingleton<ApiKeyCheck>();
        services.AddSingleton<RecentAlerts>();
        services.AddProblemDetails();
        services.AddHealthChecks().AddCheck<ClusterReadinessCheck>("cluster", tags: ["ready"]);

        // Registered before Orleans so that it stops after the silo: a silo leaving the cluster still finds the table.
        if (configuration.GetConnectionString(RedisConnectionName) is { } redisConnection && !string.IsNullOrWhiteSpace(redisConnection))
        {
            services.AddHostedService(sp => ActivatorUtilities.CreateInstance<MembershipTableRestorer>(sp, redisConnection));
        }

        builder.UseOrleans(silo =>
        {
            // How fast a dead silo is noticed (Orleans:Membership:ProbeTimeout, NumMissedProbesLimit, …): Orleans binds
            // ClusterId, ServiceId and Endpoints (AdvertisedIPAddress, ports) from "Orleans" itself, but not these.
            // Validated on start so a value the binder cannot convert is reported before the silo starts.
            services.AddOptions<ClusterMembershipOptions>().BindConfiguration("Orleans:Membership").ValidateOnStart();
            UseDefaultPlacement(services, configuration);
            CollectIdleWorkloads(services, configuration);

            var redis = configuration.GetConnectionString(RedisConnectionName);
            if (!string.IsNullOrWhiteSpace(redis))
            {
                var redisOptions = ParseRedis(redis);
                services.AddSingleton(new SiloProviders("Redis", "Redis"));
                services.AddOptions<RedisProbeOptions>().BindConfiguration(RedisProbeOptions.SectionName).ValidateOnStart();
                services.AddSingleton(sp => ActivatorUtilities.CreateInstance<RedisProbe>(sp, redis));
                services.AddHostedService(sp => sp.GetRequiredService<RedisProbe>());
                services.AddHealthChecks().AddCheck<RedisReadinessCheck>("redis", tags: ["ready"]);
                silo.UseRedisClustering(o => o.ConfigurationOptions = redisOptions.Clone());
                // Alerts with unconfirmed deliveries keep a reminder: it must survive the silo that registered it.
                silo.UseRedisReminderService(o => o.ConfigurationOptions = redisOptions.Clone());
                // The default directory's partitions die with their silo, so a workload on a surviving silo could be
                // activated twice (its windows split) after another silo dies. The distributed directory hands its
                // ranges over consistently on membership changes: one activation per workload throughout.
#pragma warning disable ORLEANSEXP003 // Experimental in Orleans 10; chosen over Microsoft.Orleans.GrainDirectory.Redis, which drags Roslyn into the silo.
                silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
                // After a silo is declared dead, the directory refuses new registrations for its grains and its
                // directory ranges for RangeLeaseDuration − MaxProbeTimeout × NumMissedProbesLimit (Orleans 10
                // DistributedGrainDirectory.CalculateDeadSiloLeaseDuration). With the defaults (30 s, 4 × ProbeTimeout)
                // and 1 s × 2 probes that is 22 s in which every call that needs a new activation there waits: the feed
                // and the dead silo's workloads, so every mixed batch. The lease is only for a silo declared dead
                // while still running (frozen, partitioned: it keeps its activations until it reads that it is dead,
                // then exits); a killed one leaves nothing to fence, and the directory's range recovery keeps one
                // activation per grain without it. Size it explicitly (Orleans:Directory:DeadSiloLease, README).
                var deadSiloLease = DeadSiloLease(configuration);
                services.AddOptions<GrainDirectoryOptions>().Configure<IOptions<ClusterMembershipOptions>>((directory, membership) =>
                    directory.RangeLeaseDuration = RangeLeaseDurationFor(deadSiloLease, membership.Value));
                foreach (var name in new[] { StorageNames.Alerts, StorageNames.Baselines })
                {
                    silo.AddRedisGrainStorage(name, options => options.Configure<IServiceProvider>((o, sp) =>
                    {
                        o.ConfigurationOptions = redisOptions.Clone();
                        o.GrainStorageSerializer = StateSerializer(sp);
                    }));
                }
            }
            else
            {
                var clustering = configuration.GetSection("Orleans:Clustering");
                var storage = configuration.GetSection("Orleans:GrainStorage");
                services.AddSingleton(new SiloProviders(
                    clustering.Exists() ? $"{clustering["ProviderType"] ?? "configured"} (Orleans:Clustering)" : "localhost (single silo)",
                    storage.Exists() ? "configured (Orleans:GrainStorage)" : "memory (lost when the silo stops)"));
                if (!clustering.Exists())
                {
                    silo.UseLocalhostClustering(
                        siloPort: configuration.GetValue("Orleans:Endpoints:SiloPort", EndpointOptions.DEFAULT_SILO_PORT),
                        gatewayPort: configuration.GetValue("Orleans:Endpoints:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT));
                }

                if (!storage.Exists())
                {
                    foreach (var name in new[] { StorageNames.Alerts, StorageNames.Baselines })
                    {
                        if (!clustering.Exists())
                        {
                            // A silo that is its own cluster keeps state in its own memory: no storage grain call
                            // per activation and per checkpoint.
                            services.AddGrainStorage(name, static (sp, _) => new SingleSiloGrainStorage(StateSerializer(sp)));
                        }
                        else
                        {
                            // Silos sharing a cluster share Orleans' memory storage (state in storage grains).
                            silo.AddMemoryGrainStorage(name, options => options.Configure<IServiceProvider>((o, sp) =>
                                o.GrainStorageSerializer = StateSerializer(sp)));
                            // Registered after it, so this wrapper is the storage grains get by that name.
                            services.AddGrainStorage(name, static (sp, n) => new SiloMemoryGrainStorage(
                                MemoryGrainStorageFactory.Create(sp, n), sp.GetRequiredService<IHostApplicationLifetime>()));
                        }
                    }
                }

                if (!configuration.GetSection("Orleans:Reminders").Exists())
                {
                    silo.UseInMemoryReminderService();
                }
            }

            // Only when traces are exported: the two call filters wrap every grain call, and with nobody listening
            // they would cost each workload call two more async frames for nothing.
            if (!string.IsNullOrWhiteSpace(configuration[TelemetryExtensions.EndpointKey])) silo.AddActivityPropagation();
        });

        // After Orleans, so the collector's first flush finds the silo started.
        services.AddNetFlowCollector();
        builder.AddOrleansDetectTelemetry();
        return builder;
    }

    /// <summary>
    /// The serializer of every grain storage: the Orleans binary serializer keys fields by [Id] and types by alias, so
    /// renaming a state class or adding a field does not orphan stored state; Orleans' default JSON one tracks every
    /// object by reference and spent a third of the alert path's CPU serializing the feed's 500 entries on every write.
    /// </summary>
    private static OrleansGrainStorageSerializer StateSerializer(IServiceProvider services) =>
        ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(services);

    private static ConfigurationOptions ParseRedis(string connectionString)
    {
        const string key = "ConnectionStrings:" + RedisConnectionName;
        try
        {
            return ConfigurationOptions.Parse(connectionString);
        }
        catch (ArgumentException e)
        {
            // StackExchange.Redis names the keyword it rejects, never the password.
            throw ConfigurationErrors.Invalid(key, e.Message);
        }
    }

    /// <summary>Configuration key (env `Orleans__Directory__DeadSiloLease`) of the dead-silo lease.</summary>
    public const string DeadSiloLeaseKey = "Orleans:Directory:DeadSiloLease";

    /// <summary>Default for <see cref="DeadSiloLeaseKey"/>.</summary>
    public static readonly TimeSpan DefaultDeadSiloLease = TimeSpan.FromSeconds(1);

    /// <summary>Configuration key (env `Orleans__WorkloadIdleAfter`) of how long a workload grain stays active without a call.</summary>
    public const string WorkloadIdleAfterKey = "Orleans:WorkloadIdleAfter";

    /// <summary>
    /// Default for <see cref="WorkloadIdleAfterKey"/>: longer than the longest sweep window (10 min) and the slow tracker's
    /// idle expiry (15 min), so a live workload quiet for that long holds nothing in memory that its next event would
    /// still count; its baseline and (with failed attempts in its windows) its windows checkpoint are written as it goes.
    /// </summary>
    public static readonly TimeSpan DefaultWorkloadIdleAfter = TimeSpan.FromMinutes(20);

    /// <summary>
    /// Workload grains deactivate after <see cref="WorkloadIdleAfterKey"/> without a call (Orleans' collection age for
    /// that grain class; other grains keep Orleans' default). At least 1 s: tests and measurements use seconds.
    /// </summary>
    private static void CollectIdleWorkloads(IServiceCollection services, IConfiguration configuration)
    {
        var idle = configuration.GetValue(WorkloadIdleAfterKey, DefaultWorkloadIdleAfter);
        if (idle < TimeSpan.FromSeconds(1)) throw ConfigurationErrors.Invalid(WorkloadIdleAfterKey, $"must be at least 00:00:01 (was {idle})");
        services.AddOptions<GrainCollectionOptions>().Configure(o =>
        {
            o.ClassSpecificCollectionAge[typeof(WorkloadGrain).FullName!] = idle;
            // Orleans requires every collection age to exceed its collection scan period (1 min by default).
            if (idle <= o.CollectionQuantum) o.CollectionQuantum = idle / 2;
        });
    }

    /// <summary>Configuration key (env `Orleans__Placement`) of the default placement of new activations.</summary>
    public const string PlacementKey = "Orleans:Placement";

    /// <summary>
    /// Where new activations go (<see cref="PlacementKey"/>): Orleans' own default, resource-optimized, unless set to
    /// <c>random</c> (spreads new workloads evenly at once, where resource-optimized sends a burst of new activations to
    /// the least loaded silo, e.g. one that just restarted) or <c>activation-count</c>.
    /// </summary>
    private static void UseDefaultPlacement(IServiceCollection services, IConfiguration configuration)
    {
        switch (configuration[PlacementKey]?.Trim().ToLowerInvariant())
        {
            case null or "" or "resource-optimized":
                return;
            case "random":
                services.AddSingleton<PlacementStrategy, RandomPlacement>();
                return;
            case "activation-count":
                services.AddSingleton<PlacementStrategy, ActivationCountBasedPlacement>();
                return;
            default:
                throw ConfigurationErrors.Invalid(PlacementKey, $"must be resource-optimized, random or activation-count (was '{configuration[PlacementKey]}')");
        }
    }

    /// <summary>
    /// How long after a silo is declared dead the distributed directory still refuses to activate its grains elsewhere
    /// (<see cref="DeadSiloLeaseKey"/>, default 1 s; 0 turns the lease off, as Orleans' own default probes do).
    /// </summary>
    public static TimeSpan DeadSiloLease(IConfiguration configuration)
    {
        var lease = configuration.GetValue(DeadSiloLeaseKey, DefaultDeadSiloLease);
        if (lease < TimeSpan.Zero) throw ConfigurationErrors.Invalid(DeadSiloLeaseKey, $"must not be negative (was {lease})");
        return lease;
    }

    /// <summary>
    /// The <see cref="GrainDirectoryOptions.RangeLeaseDuration"/> that makes Orleans' dead-silo lease equal
    /// <paramref name="deadSiloLease"/>: Orleans subtracts its failure-detection window (MaxProbeTimeout × NumMissedProbesLimit).
    /// </summary>
    public static TimeSpan RangeLeaseDurationFor(TimeSpan deadSiloLease, ClusterMembershipOptions membership) =>
        deadSiloLease <= TimeSpan.Zero ? TimeSpan.Zero : membership.MaxProbeTimeout * membership.NumMissedProbesLimit + deadSiloLease;
}

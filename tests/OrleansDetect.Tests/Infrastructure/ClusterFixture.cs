using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.TestingHost;
using OrleansDetect.Grains.Hosting;

namespace OrleansDetect.Tests.Infrastructure;

/// <summary>A two-silo in-process cluster with memory storage, shared by a test collection.</summary>
public class ClusterFixture : IAsyncLifetime
{
    private readonly short _silos;
    private readonly IReadOnlyDictionary<string, string?> _settings;

    public ClusterFixture()
        : this(2, new Dictionary<string, string?>())
    {
    }

    /// <param name="settings">Configuration on top of the defaults (detection thresholds, rules, …).</param>
    protected ClusterFixture(short silos, IReadOnlyDictionary<string, string?> settings)
    {
        _silos = silos;
        _settings = settings;
    }

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(_silos);
        builder.ConfigureHost(host => host.Configuration
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" })
            .AddInMemoryCollection(_settings));
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(StorageNames.Alerts);
            silo.UseInMemoryReminderService();
            silo.AddMemoryGrainStorage(StorageNames.Baselines);
            silo.Services.AddDetectionServices();

            // In-process silos share one process, so the default resource-optimized placement cannot tell them apart
            // by load and follows activation counts instead: after a test that activated many grains on one silo,
            // hundreds of new activations in a row land on the other. Random placement spreads them, as tests that
            // need grains on both silos expect.
            silo.Services.AddSingleton<PlacementStrategy, RandomPlacement>();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

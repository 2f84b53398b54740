using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace OrleansDetect.Detection;

public static class DetectionServiceCollectionExtensions
{
    /// <summary>
    /// Binds <c>Detection:*</c> (internal networks, port sweep, port scan, slow probes, recon chains, fleet, incidents, baseline, encrypted DNS, event clock, suppression rules), validates it when the host starts so bad
    /// settings stop the silo with a message naming the key, and registers the <see cref="DetectionSettings"/> built from them.
    /// Detectors themselves are per workload: each workload grain builds a <see cref="WorkloadDetection"/> from the
    /// <see cref="DetectionSettings"/> registered here.
    /// </summary>
    public static IServiceCollection AddDetectionOptions(this IServiceCollection services)
    {
        services.AddOptions<NetworkScopeOptions>().BindConfiguration(NetworkScopeOptions.SectionName).ValidateOnStart();
        services.AddOptions<PortSweepOptions>().BindConfiguration(PortSweepOptions.SectionName).ValidateOnStart();
        services.AddOptions<PortScanOptions>().BindConfiguration(PortScanOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<NetworkScopeOptions>, NetworkScopeOptionsValidator>();
        services.AddSingleton<IValidateOptions<PortSweepOptions>, PortSweepOptionsValidator>();
        services.AddSingleton<IValidateOptions<PortScanOptions>, PortScanOptionsValidator>();
        services.AddOptions<SlowProbeOptions>().BindConfiguration(SlowProbeOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SlowProbeOptions>, SlowProbeOptionsValidator>();
        services.AddOptions<ReconChainOptions>().BindConfiguration(ReconChainOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReconChainOptions>, ReconChainOptionsValidator>();
        services.AddOptions<FleetOptions>().BindConfiguration(FleetOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FleetOptions>, FleetOptionsValidator>();
        services.AddOptions<IncidentOptions>().BindConfiguration(IncidentOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IncidentOptions>, IncidentOptionsValidator>();

        services.AddOptions<BaselineOptions>().BindConfiguration(BaselineOptions.SectionName).ValidateOnStart();
        services.AddOptions<EncryptedDnsOptions>().BindConfiguration(EncryptedDnsOptions.SectionName).ValidateOnStart();
        services.AddOptions<EventClockOptions>().BindConfiguration(EventClockOptions.SectionName).ValidateOnStart();
        services.AddOptions<SuppressionOptions>().BindConfiguration(SuppressionOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BaselineOptions>, BaselineOptionsValidator>();
        services.AddSingleton<IValidateOptions<EncryptedDnsOptions>, EncryptedDnsOptionsValidator>();
        services.AddSingleton<IValidateOptions<EventClockOptions>, EventClockOptionsValidator>();
        services.AddSingleton<IValidateOptions<SuppressionOptions>, SuppressionOptionsValidator>();
        services.AddOptions<CheckpointOptions>().BindConfiguration(CheckpointOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CheckpointOptions>, CheckpointOptionsValidator>();
        services.AddSingleton(sp =>
        {
            var encryptedDns = sp.GetRequiredService<IOptions<EncryptedDnsOptions>>().Value;
            return new DetectionSettings
            {
                Sweep = sp.GetRequiredService<IOptions<PortSweepOptions>>().Value,
                Scan = sp.GetRequiredService<IOptions<PortScanOptions>>().Value,
                Slow = sp.GetRequiredService<IOptions<SlowProbeOptions>>().Value,
                ReconChain = sp.GetRequiredService<IOptions<ReconChainOptions>>().Value,
                Fleet = sp.GetRequiredService<IOptions<FleetOptions>>().Value,
                Incident = sp.GetRequiredService<IOptions<IncidentOptions>>().Value,
                Baseline = sp.GetRequiredService<IOptions<BaselineOptions>>().Value,
                EncryptedDns = encryptedDns,
                Clock = sp.GetRequiredService<IOptions<EventClockOptions>>().Value,
                Checkpoint = sp.GetRequiredService<IOptions<CheckpointOptions>>().Value,
                Scope = NetworkScope.FromOptions(sp.GetRequiredService<IOptions<NetworkScopeOptions>>().Value),
                Resolvers = KnownResolvers.Load(encryptedDns.Resolvers),
                Suppression = new SuppressionRules(sp.GetRequiredService<IOptions<SuppressionOptions>>().Value.Suppress),
            };
        });
        return services;
    }
}

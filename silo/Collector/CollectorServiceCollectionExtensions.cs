using Microsoft.Extensions.Options;

namespace OrleansDetect.Silo.Collector;

public static class CollectorServiceCollectionExtensions
{
    /// <summary>The NetFlow/IPFIX collector, validated on start; it listens only when <c>Collector:NetFlow:Port</c> is set.</summary>
    public static IServiceCollection AddNetFlowCollector(this IServiceCollection services)
    {
        services.AddOptions<NetFlowCollectorOptions>().BindConfiguration(NetFlowCollectorOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<NetFlowCollectorOptions>, NetFlowCollectorOptionsValidator>();
        services.AddSingleton<NetFlowCollector>();
        services.AddHostedService(sp => sp.GetRequiredService<NetFlowCollector>());
        return services;
    }
}

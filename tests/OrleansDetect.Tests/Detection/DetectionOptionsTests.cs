using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansDetect.Detection;

namespace OrleansDetect.Tests.Detection;

public class DetectionOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.True(new PortSweepOptionsValidator().Validate(null, new PortSweepOptions()).Succeeded);
        Assert.True(new PortScanOptionsValidator().Validate(null, new PortScanOptions()).Succeeded);
        Assert.True(new NetworkScopeOptionsValidator().Validate(null, new NetworkScopeOptions()).Succeeded);
    }

    [Fact]
    public void Bad_sweep_settings_name_their_keys()
    {
        var result = new PortSweepOptionsValidator().Validate(null, new PortSweepOptions
        {
            PublicWindow = TimeSpan.Zero,
            PublicMediumThreshold = 50,
            PublicHighThreshold = 40,
            InternalThreshold = -1,
            LateralMovementPorts = [22, 70000],
        });

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains("Detection:PortSweep:PublicWindow must be positive", failures);
        Assert.Contains("Detection:PortSweep:PublicHighThreshold must be at least PublicMediumThreshold (50)", failures);
        Assert.Contains("Detection:PortSweep:InternalThreshold must be positive", failures);
        Assert.Contains("Detection:PortSweep:LateralMovementPorts:1 must be a port number 0-65535", failures);
    }

    [Fact]
    public void Bad_scan_settings_name_their_keys()
    {
        var result = new PortScanOptionsValidator().Validate(null, new PortScanOptions
        {
            Window = TimeSpan.FromMinutes(-1),
            MediumThreshold = 0,
            HighThreshold = -5,
        });

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains("Detection:PortScan:Window must be positive", failures);
        Assert.Contains("Detection:PortScan:MediumThreshold must be positive", failures);
        Assert.Contains("Detection:PortScan:HighThreshold must be at least MediumThreshold (0)", failures);
    }

    [Fact]
    public void Configuration_binds_and_bad_values_fail_naming_the_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Detection:InternalNetworks:0"] = "45.0.0.0/16",
            ["Detection:PortSweep:PublicMediumThreshold"] = "30",
            ["Detection:PortSweep:LateralMovementPorts:0"] = "2222",
            ["Detection:PortScan:Window"] = "00:00:00",
        }).Build();
        using var provider = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddDetectionOptions()
            .BuildServiceProvider();

        var sweep = provider.GetRequiredService<IOptions<PortSweepOptions>>().Value;
        Assert.Equal(30, sweep.PublicMediumThreshold);
        Assert.Equal([2222], sweep.EffectiveLateralMovementPorts);
        Assert.Equal(TargetScope.Internal, NetworkScope.FromOptions(provider.GetRequiredService<IOptions<NetworkScopeOptions>>().Value).Classify(NetAddress.Parse("45.0.1.2")));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PortScanOptions>>().Value);
        Assert.Contains("Detection:PortScan:Window must be positive", error.Message, StringComparison.Ordinal);
    }
}

using Microsoft.Extensions.Options;
using OrleansDetect.Silo;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Hosting;

/// <summary>Bad baseline, resolver and suppression settings stop the silo at start, naming the key.</summary>
public sealed class BadConfigurationTests
{
    [Theory]
    [InlineData("--Detection:Baseline:LearningPeriod=-00:00:30", "Detection:Baseline:LearningPeriod must not be negative")]
    [InlineData("--Detection:EncryptedDns:Resolvers:0:Cidr=10.0.0.300/32", "Detection:EncryptedDns:Resolvers:0:Cidr '10.0.0.300/32' is not a CIDR")]
    [InlineData("--Detection:Suppress:0:Cidr=10.50.0.0/99", "Detection:Suppress:0:Cidr '10.50.0.0/99' is not a CIDR")]
    [InlineData("--Detection:PortSweep:AllowedLateness=00:05:00", "Detection:PortSweep:AllowedLateness is no longer read: set Detection:AllowedLateness (one clock per workload) instead")]
    [InlineData("--Detection:PortScan:AllowedLateness=00:05:00", "Detection:PortScan:AllowedLateness is no longer read: set Detection:AllowedLateness")]
    [InlineData("--Detection:InternalNetworks:0=corp", "Detection:InternalNetworks:0 'corp' is not a CIDR")]
    public async Task The_silo_does_not_start(string setting, string message)
    {
        await using var app = SiloApp.Create(
        [
            $"--urls=http://127.0.0.1:{FreePort.Next()}",
            $"--Orleans:Endpoints:SiloPort={FreePort.Next()}",
            $"--Orleans:Endpoints:GatewayPort={FreePort.Next()}",
            "--Logging:LogLevel:Default=Critical",
            setting,
        ]);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OrleansDetect.Silo;
using OrleansDetect.Silo.Hosting;
using OrleansDetect.Tests.Failover;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Hosting;

/// <summary>Bad settings stop the silo at start, naming the key: in-process, and as a real process (exit code 1, one line).</summary>
public sealed class BadConfigurationTests
{
    [Theory]
    [InlineData("Detection__PortSweep__PublicMediumThreshold=abc", "error: Detection:PortSweep:PublicMediumThreshold: 'abc' is not a valid Int32")]
    [InlineData("Detection__PortScan__Window=5min", "error: Detection:PortScan:Window: '5min' is not a valid TimeSpan (use [d.]hh:mm:ss, e.g. 00:05:00)")]
    [InlineData("Detection__PortSweep__Enabled=maybe", "error: Detection:PortSweep:Enabled: 'maybe' is not a valid Boolean (use true or false)")]
    [InlineData("Detection__Suppress__0__Port=ssh", "error: Detection:Suppress:0:Port: 'ssh' is not a valid Int32")]
    [InlineData("Detection__PortSweep__LateralMovementPorts__1=rdp", "error: Detection:PortSweep:LateralMovementPorts:1: 'rdp' is not a valid Int32")]
    [InlineData("Detection__InternalNetworks__0=10.0.0.0/33", "error: Detection:InternalNetworks:0 '10.0.0.0/33' is not a CIDR")]
    [InlineData("Detection__Baseline__LearningPeriod=-00:00:30", "error: Detection:Baseline:LearningPeriod must not be negative")]
    [InlineData("Orleans__Membership__ProbeTimeout=soon", "error: Orleans:Membership:ProbeTimeout: 'soon' is not a valid TimeSpan")]
    [InlineData("Orleans__Endpoints__SiloPort=eleven", "error: Orleans:Endpoints:SiloPort: 'eleven' is not a valid Int32")]
    [InlineData("Orleans__WorkloadIdleAfter=soon", "error: Orleans:WorkloadIdleAfter: 'soon' is not a valid TimeSpan")]
    [InlineData("Orleans__WorkloadIdleAfter=00:00:00.500", "error: Orleans:WorkloadIdleAfter: must be at least 00:00:01")]
    [InlineData("Dashboard__Enabled=perhaps", "error: Dashboard:Enabled: 'perhaps' is not a valid Boolean")]
    [InlineData("ConnectionStrings__redis=localhost:6379,password=hunter2,colour=blue", "error: ConnectionStrings:redis: Keyword 'colour' is not supported")]
    public async Task The_silo_process_exits_with_1_and_one_line_naming_the_key(string setting, string line)
    {
        // Information logging on, as an operator runs it: nothing may be logged before the line, and no stack trace.
        await using var silo = SiloProcess.Start(["Logging__LogLevel__Default=Information", setting]);
        await silo.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(SiloApp.FailedToStartExitCode, silo.ExitCode);
        var error = Assert.Single(silo.Log);
        Assert.StartsWith(line, error, StringComparison.Ordinal);
        Assert.Equal([error], silo.Errors);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

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
            .. SiloFixture.LoopbackPorts(),
            "--Logging:LogLevel:Default=Critical",
            setting,
        ]);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_enum_value_that_is_not_one_of_its_names_is_named_with_the_names_allowed()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sample:Access"] = "Write",
            ["Sample:Fallbacks:0"] = "Read",
            ["Sample:Fallbacks:1"] = "Append",
        }).Build();

        var result = new ConfigurationConversionCheck<SampleOptions>(configuration).Validate(null, new SampleOptions());

        Assert.Equal(["Sample:Fallbacks:1: 'Append' is not a valid FileAccess (one of Read, Write, ReadWrite)"], result.Failures);
    }

    private sealed class SampleOptions
    {
        public const string SectionName = "Sample";

        public FileAccess Access { get; set; }

        public List<FileAccess> Fallbacks { get; set; } = [];
    }
}

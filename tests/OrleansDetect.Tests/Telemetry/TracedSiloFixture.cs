using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Telemetry;

/// <summary>
/// One silo exporting OTLP/HTTP protobuf to a local <see cref="OtlpReceiver"/>, with a Slack webhook (a local listener
/// that rate-limits its first post). The OTEL_* settings are given as configuration keys, not environment variables,
/// so other silos in this test process stay unobserved.
/// </summary>
public sealed class TracedSiloFixture : SiloFixture
{
    public OtlpReceiver Receiver { get; } = new();

    public SlackListener Slack { get; } = new(rateLimitFirst: 1);

    protected override IEnumerable<string> ExtraArgs() =>
    [
        $"--OTEL_EXPORTER_OTLP_ENDPOINT={Receiver.Endpoint}",
        "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
        "--OTEL_BSP_SCHEDULE_DELAY=200",
        "--OTEL_METRIC_EXPORT_INTERVAL=500",
        $"--Slack:WebhookUrl={Slack.Url}",
        "--Slack:MinInterval=00:00:00.200",
    ];

    public override async Task InitializeAsync()
    {
        await Receiver.StartAsync();
        await Slack.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Slack.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

// Not in parallel with other collections: the detection meters are static, so a silo's metrics exporter also counts
// what other in-process silos ingest at the same time, and the counter deltas these tests assert would be theirs too.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracedSiloCollection : ICollectionFixture<TracedSiloFixture>
{
    public const string Name = "traced-silo";
}

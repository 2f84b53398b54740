using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace OrleansDetect.Tests.Alerts;

/// <summary>Alerts persisted by release 0.1 (evidence as a flat detection report) still load, keys and ids intact.</summary>
public sealed class StoredAlertCompatibilityTests
{
    private static readonly OrleansGrainStorageSerializer Storage = new(new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(AlertRecord).Assembly).AddAssembly(typeof(StoredAlertCompatibilityTests).Assembly))
        .BuildServiceProvider().GetRequiredService<Serializer>());

    [Theory]
    [InlineData("port-sweep", 22, "public", "web-1|port-sweep|tcp/22|public")]
    [InlineData("port-scan", 0, "10.0.0.5", "web-1|port-scan|tcp/0|10.0.0.5")]
    [InlineData("unusual-encrypted-dns", 853, "198.51.100.53", "web-1|unusual-encrypted-dns|tcp/853|198.51.100.53")]
    [InlineData("unusual-encrypted-dns", 853, "volume", "web-1|unusual-encrypted-dns|tcp/853|volume")]
    public void An_alert_stored_by_release_0_1_loads_with_its_key(string type, int port, string scope, string fingerprint)
    {
        var stored = Storage.Serialize(new AlertRecordV1
        {
            Id = AlertIds.Format(AlertIds.GrainKey(fingerprint), 3),
            Fingerprint = fingerprint,
            Title = "stored title",
            Severity = Severity.High,
            Updates = 2,
            Version = 4,
            Evidence = new DetectionReportV1
            {
                Workload = "web-1",
                Type = type,
                Severity = Severity.High,
                Protocol = FlowProtocol.Tcp,
                Port = port,
                Scope = scope,
                DistinctTargets = 120,
                SampleTargets = ["a", "b"],
                WindowStartMs = 1_000,
                WindowEndMs = 2_000,
                Threshold = 25,
                ThresholdReason = "static",
                Mitre = ["T1046"],
                DuringLearning = true,
                FailedAttempts = 130,
                Evidence = new() { ["saturated"] = "true" },
            },
        });

        var alert = Storage.Deserialize<AlertRecord>(stored)!;
        Assert.NotNull(alert);
        Assert.Equal(("stored title", 4), (alert.Title, alert.Version));
        Assert.NotNull(alert.Evidence);

        Assert.Equal(fingerprint, alert.Evidence.Key.Fingerprint);
        Assert.Equal(AlertIds.GrainKey(alert.Evidence.Key), AlertIds.GrainKey(fingerprint));
        Assert.Equal(("web-1", type), (alert.Workload, alert.Type));
        Assert.Equal((Severity.High, 120, 130, 25, "static", true), (alert.Evidence.Severity, alert.Evidence.DistinctTargets, alert.Evidence.FailedAttempts, alert.Evidence.Threshold, alert.Evidence.ThresholdReason, alert.Evidence.DuringLearning));
        Assert.Equal(["a", "b"], alert.Evidence.SampleTargets);
        Assert.True(alert.Evidence.Saturated);
        Assert.Equal((2, 4), (alert.Updates, alert.Version));

        // Written again, it is written in the current shape and reads back the same.
        var again = Storage.Deserialize<AlertRecord>(Storage.Serialize(alert))!;
        Assert.Equal(fingerprint, again.Evidence.Key.Fingerprint);
    }
}

/// <summary>An alert as release 0.1 stored it: sealed records with required properties, as <see cref="AlertRecord"/> is.</summary>
[GenerateSerializer, Immutable]
public sealed record AlertRecordV1
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Fingerprint { get; init; }
    [Id(2)] public required string Title { get; init; }
    [Id(3)] public required Severity Severity { get; init; }
    [Id(4)] public DateTimeOffset FirstSeen { get; init; }
    [Id(5)] public DateTimeOffset LastSeen { get; init; }
    [Id(6)] public DateTimeOffset RaisedAt { get; init; }
    [Id(7)] public DateTimeOffset UpdatedAt { get; init; }
    [Id(8)] public required int Updates { get; init; }
    [Id(9)] public required int Version { get; init; }
    [Id(10)] public required DetectionReportV1 Evidence { get; init; }
}

/// <summary>Release 0.1's detection report: the key's parts as fields of their own.</summary>
[GenerateSerializer, Immutable]
public sealed record DetectionReportV1
{
    [Id(0)] public required string Workload { get; init; }
    [Id(1)] public required string Type { get; init; }
    [Id(2)] public required Severity Severity { get; init; }
    [Id(3)] public required FlowProtocol Protocol { get; init; }
    [Id(4)] public required int Port { get; init; }
    [Id(5)] public required string Scope { get; init; }
    [Id(6)] public required int DistinctTargets { get; init; }
    [Id(7)] public required string[] SampleTargets { get; init; }
    [Id(8)] public required long WindowStartMs { get; init; }
    [Id(9)] public required long WindowEndMs { get; init; }
    [Id(10)] public required int Threshold { get; init; }
    [Id(11)] public required string ThresholdReason { get; init; }
    [Id(12)] public required string[] Mitre { get; init; }
    [Id(13)] public bool DuringLearning { get; init; }
    [Id(14)] public int FailedAttempts { get; init; }
    [Id(15)] public Dictionary<string, string>? Evidence { get; init; }
}

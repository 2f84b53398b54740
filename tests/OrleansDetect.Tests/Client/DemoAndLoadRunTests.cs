using System.Text.Json;
using System.Web;
using OrleansDetect.Client.Demo;

namespace OrleansDetect.Tests.Client;

/// <summary><c>demo</c> and <c>load</c> against a fake gateway: what they send and how they judge the alerts they read back.</summary>
public sealed class DemoAndLoadRunTests
{
    [Fact]
    public async Task Demo_passes_when_exactly_the_three_expected_alerts_come_back()
    {
        await using var gateway = new FakeGateway((request, _) => AnswerWithAlerts(request,
            ("d1-web-1", 22, "public", "high", 200), ("d1-build-agent-1", 445, "internal", "medium", 40), ("d1-batch-1", 853, "198.51.100.53", "high", 1)));

        var (exitCode, output, _) = await ClientCli.RunAsync("demo", "--gateway", gateway.Url, "--prefix", "d1-", "--seed", "3");

        Assert.Equal(0, exitCode);
        Assert.Contains("expected 3 alerts, got 3", output);
        Assert.Contains("[HIGH]", output);
        Assert.Contains("200 distinct targets", output);
        Assert.Contains("MITRE ATT&CK: T1046", output);
        var sent = gateway.FlowPosts.SelectMany(p => p.Lines).ToList();
        Assert.Equal(DemoScenario.Create(DateTimeOffset.UtcNow, "d1-", seed: 3).Events.Count, sent.Count);
        Assert.All(sent, line => Assert.StartsWith("d1-", JsonDocument.Parse(line).RootElement.GetProperty("host").GetString()));
    }

    [Fact]
    public async Task Demo_fails_when_an_alert_is_missing_or_extra()
    {
        await using var gateway = new FakeGateway((request, _) => AnswerWithAlerts(request,
            ("d2-web-1", 22, "public", "high", 200), ("d2-web-2", 23, "public", "medium", 20)));

        var (exitCode, output, _) = await ClientCli.RunAsync("demo", "--gateway", gateway.Url, "--prefix", "d2-", "--wait", "300ms");

        Assert.Equal(1, exitCode);
        Assert.Contains("expected 3 alerts, got 2", output);
        Assert.Contains("missing: medium port-sweep tcp/445 (internal) from d2-build-agent-1", output);
        Assert.Contains("unexpected: medium port-sweep tcp/23 (public) from d2-web-2", output);
    }

    [Fact]
    public async Task Load_sends_valid_batches_and_times_the_injected_sweeps()
    {
        await using var gateway = new FakeGateway((request, _) => request.Method == "GET" && request.PathAndQuery.Contains("workload=load-sweep-")
            ? AnswerWithAlerts(request, (HttpUtility.ParseQueryString(new Uri("http://x" + request.PathAndQuery).Query)["workload"]!, 22, "public", "medium", 30))
            : FakeGateway.AcceptAll(request));

        var (exitCode, output, _) = await ClientCli.RunAsync(
            "load", "--gateway", gateway.Url, "--workloads", "5", "--rate", "2000", "--duration", "1.5s", "--batch-size", "100", "--concurrency", "2");

        Assert.Equal(0, exitCode);
        Assert.Contains("missed 0", output);
        Assert.Contains("http errors 0", output);
        var lines = gateway.FlowPosts.SelectMany(p => p.Lines).ToList();
        Assert.InRange(lines.Count, 100, 4_000);
        Assert.All(lines, line => JsonDocument.Parse(line).Dispose());
        Assert.Contains(lines, line => line.Contains("\"host\":\"load-sweep-", StringComparison.Ordinal));
    }

    /// <summary>Answers flow posts with "all accepted" and alert reads with the given alerts, filtered like the real API.</summary>
    private static FakeAnswer AnswerWithAlerts(RecordedRequest request, params (string Workload, int Port, string Scope, string Severity, int Targets)[] alerts)
    {
        if (request.Method == "POST") return FakeGateway.AcceptAll(request);
        var workload = HttpUtility.ParseQueryString(new Uri("http://x" + request.PathAndQuery).Query)["workload"];
        var selected = alerts.Where(a => workload is null || a.Workload == workload).Select(a => new
        {
            id = $"{AlertIdKey(a.Workload)}-1",
            type = a.Port == 853 ? "unusual-encrypted-dns" : "port-sweep",
            severity = a.Severity,
            workload = a.Workload,
            title = $"Port sweep: {a.Workload} probed tcp/{a.Port} on {a.Targets} {a.Scope} addresses",
            protocol = "tcp",
            port = a.Port,
            scope = a.Scope,
            distinctTargets = a.Targets,
            sampleTargets = new[] { "198.51.100.1", "198.51.100.2" },
            firstSeen = DateTimeOffset.UtcNow.AddMinutes(-2),
            lastSeen = DateTimeOffset.UtcNow,
            updates = 1,
            mitre = new[] { "T1046", "T1595.001" },
        });
        return new FakeAnswer(200, JsonSerializer.Serialize(selected));
    }

    private static string AlertIdKey(string workload) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(workload)))[..16];
}

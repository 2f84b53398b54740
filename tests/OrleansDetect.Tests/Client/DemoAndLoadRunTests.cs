using System.Text.Json;
using System.Web;
using OrleansDetect.Client.Demo;

namespace OrleansDetect.Tests.Client;

/// <summary><c>demo</c> and <c>load</c> against a fake gateway: what they send and how they judge the alerts they read back.</summary>
public sealed class DemoAndLoadRunTests
{
    [Fact]
    public async Task Demo_passes_when_exactly_the_ten_expected_alerts_come_back()
    {
        var expected = DemoScenario.Create(DateTimeOffset.UtcNow, "d1-", seed: 3);
        await using var gateway = new FakeGateway((request, _) => AnswerWithExpected(request, expected.ExpectedAlerts));

        var (exitCode, output, _) = await ClientCli.RunAsync("demo", "--gateway", gateway.Url, "--prefix", "d1-", "--seed", "3");

        Assert.Equal(0, exitCode);
        Assert.Contains("expecting 10 alerts:", output);
        Assert.Contains("expected 10 alerts, got 10", output);
        Assert.Contains("[HIGH]", output);
        Assert.Contains("200 distinct targets", output);
        Assert.Contains("MITRE ATT&CK: T1046", output);
        Assert.Contains($"found: high recon-chain tcp/3389 (internal) from d1-jump-1", output);
        Assert.Contains($"found: medium port-scan tcp ({expected.ChainTarget}) from d1-jump-1", output);
        Assert.Contains($"found: medium fleet-sweep tcp/{expected.FleetPort} by d1-worker-1, d1-worker-2, d1-worker-3", output);
        Assert.DoesNotContain("missing:", output);
        Assert.Contains(gateway.Requests, r => r.Method == "GET" && r.PathAndQuery.Contains($"workload=tcp%2f{expected.FleetPort}", StringComparison.OrdinalIgnoreCase));
        var sent = gateway.FlowPosts.SelectMany(p => p.Lines).ToList();
        Assert.Equal(expected.Events.Count, sent.Count);
        Assert.All(sent, line => Assert.StartsWith("d1-", JsonDocument.Parse(line).RootElement.GetProperty("host").GetString()));
    }

    [Fact]
    public async Task Demo_fails_when_the_fleet_alert_lists_other_workloads()
    {
        var scenario = DemoScenario.Create(DateTimeOffset.UtcNow, "d3-", seed: 3);
        var fleet = scenario.ExpectedAlerts[^1];
        // Another run's fleet alert on the same port: same subject and port, but not this run's workers.
        var alerts = scenario.ExpectedAlerts.Take(scenario.ExpectedAlerts.Count - 1)
            .Append(fleet with { ListedWorkloads = ["other-worker-1", "other-worker-2", "other-worker-3"] }).ToList();
        await using var gateway = new FakeGateway((request, _) => AnswerWithExpected(request, alerts));

        var (exitCode, output, _) = await ClientCli.RunAsync("demo", "--gateway", gateway.Url, "--prefix", "d3-", "--seed", "3", "--wait", "300ms");

        Assert.Equal(1, exitCode);
        Assert.Contains($"missing: medium fleet-sweep tcp/{scenario.FleetPort} by d3-worker-1, d3-worker-2, d3-worker-3", output);
        Assert.Contains($"unexpected: medium fleet-sweep tcp/{scenario.FleetPort} from tcp/{scenario.FleetPort}", output);
        Assert.Contains("expected 10 alerts, got 10", output);
    }

    [Fact]
    public async Task Demo_fails_when_an_alert_is_missing_or_extra()
    {
        await using var gateway = new FakeGateway((request, _) => AnswerWithAlerts(request,
            ("d2-web-1", 22, "public", "high", 200), ("d2-web-2", 23, "public", "medium", 20)));

        var (exitCode, output, _) = await ClientCli.RunAsync("demo", "--gateway", gateway.Url, "--prefix", "d2-", "--wait", "300ms");

        Assert.Equal(1, exitCode);
        Assert.Contains("expected 10 alerts, got 2", output);
        Assert.Contains("found: high port-sweep tcp/22 (public) from d2-web-1", output);
        Assert.Contains("missing: medium port-sweep tcp/445 (internal) from d2-build-agent-1", output);
        Assert.Contains("missing: high recon-chain tcp/3389 (internal) from d2-jump-1", output);
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

    /// <summary>The gateway's answer when the cluster raised exactly <paramref name="alerts"/>, filtered by <c>workload</c> as the API does.</summary>
    private static FakeAnswer AnswerWithExpected(RecordedRequest request, IReadOnlyList<ExpectedAlert> alerts)
    {
        if (request.Method == "POST") return FakeGateway.AcceptAll(request);
        var workload = HttpUtility.ParseQueryString(new Uri("http://x" + request.PathAndQuery).Query)["workload"];
        var selected = alerts.Where(a => workload is null || a.Workload == workload).Select(a => new
        {
            id = $"{AlertIdKey(a.Workload + "|" + a.Type + "|" + a.Port + "|" + a.Scope)}-1",
            type = a.Type,
            severity = a.Severity.Name(),
            workload = a.Workload,
            title = $"{a.Type}: {a.Workload}",
            protocol = "tcp",
            port = a.Port,
            scope = a.Scope,
            distinctTargets = a.DistinctTargets,
            sampleTargets = a.ListedWorkloads?.ToArray() ?? ["198.51.100.1", "198.51.100.2"],
            firstSeen = DateTimeOffset.UtcNow.AddMinutes(-2),
            lastSeen = DateTimeOffset.UtcNow,
            updates = 1,
            mitre = new[] { "T1046", "T1595.001" },
        });
        return new FakeAnswer(200, JsonSerializer.Serialize(selected));
    }

    private static string AlertIdKey(string workload) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(workload)))[..16];
}

using System.Net;
using System.Text.Json;
using OrleansDetect.Tests.Client;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Console;

[Collection(ConsoleSiloCollection.Name)]
public sealed class OpenApiAndClientTests(ConsoleSiloFixture silo)
{
    [Fact]
    public async Task The_openapi_document_describes_every_endpoint_and_needs_a_read_key()
    {
        using (var anonymous = await silo.Http.GetAsync("openapi/v1.json"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        var document = JsonDocument.Parse(await silo.Reader.GetStringAsync("openapi/v1.json")).RootElement;
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = document.GetProperty("paths");
        (string Path, string Method)[] expected =
        [
            ("/api/v1/flows", "post"), ("/api/v1/alerts", "get"), ("/api/v1/alerts/{id}", "get"),
            ("/api/v1/alerts/{id}/acknowledge", "post"), ("/api/v1/alerts/{id}/resolve", "post"),
            ("/api/v1/silences", "get"), ("/api/v1/silences", "post"), ("/api/v1/silences/{id}", "delete"),
            ("/api/v1/hosts", "get"), ("/api/v1/hosts/{id}", "get"), ("/alerts.rss", "get"),
            ("/health/live", "get"), ("/health/ready", "get"), ("/", "get"),
        ];
        foreach (var (path, method) in expected)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is not described");
            Assert.True(item.TryGetProperty(method, out _), $"{method.ToUpperInvariant()} {path} is not described");
        }
    }

    [Fact]
    public async Task The_client_lists_shows_acknowledges_and_resolves_alerts_and_manages_silences()
    {
        var host = Flows.UniqueWorkload("cli");
        var alert = await silo.Sweep(host, 30, Flows.T0);
        var id = alert.GetProperty("id").GetString()!;
        string[] admin = ["--gateway", silo.BaseAddress.ToString(), "--api-key", ConsoleSiloFixture.AdminKey];

        var list = await ClientCli.RunAsync(["alerts", "list", "--workload", host, .. admin]);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(id, list.Output, StringComparison.Ordinal);
        Assert.Contains("open", list.Output, StringComparison.Ordinal);

        var show = await ClientCli.RunAsync(["alerts", "show", id, .. admin]);
        Assert.Equal(0, show.ExitCode);
        Assert.Contains($"Port sweep: {host} probed tcp/22 on 30 public addresses", show.Output, StringComparison.Ordinal);
        Assert.Contains("sampleTargets: 198.18.0.1", show.Output, StringComparison.Ordinal);

        var ack = await ClientCli.RunAsync(["alerts", "ack", id, "--by", "dora", "--note", "on it", .. admin]);
        Assert.Equal((0, $"{id} is acknowledged"), (ack.ExitCode, ack.Output.Trim()));
        var resolve = await ClientCli.RunAsync(["alerts", "resolve", id, "--by", "dora", .. admin]);
        Assert.Equal((0, $"{id} is resolved"), (resolve.ExitCode, resolve.Output.Trim()));
        var again = await ClientCli.RunAsync(["alerts", "resolve", id, "--by", "dora", .. admin]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("409", again.Error, StringComparison.Ordinal);
        var missing = await ClientCli.RunAsync(["alerts", "show", "0000000000000000-1", .. admin]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("404", missing.Error, StringComparison.Ordinal);

        var add = await ClientCli.RunAsync(["silence", "add", "--workload", host, "--port", "22", "--for", "30m", "--comment", "cli test", .. admin]);
        Assert.Equal(0, add.ExitCode);
        var silenceId = add.Output.Trim();
        Assert.StartsWith("s-", silenceId, StringComparison.Ordinal);
        var silences = await ClientCli.RunAsync(["silence", "list", .. admin]);
        Assert.Contains($"{silenceId}", silences.Output, StringComparison.Ordinal);
        Assert.Contains($"workload=\"{host}\"".Replace("\"", "", StringComparison.Ordinal), silences.Output.Replace("\"", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var expire = await ClientCli.RunAsync(["silence", "expire", silenceId, .. admin]);
        Assert.Equal(0, expire.ExitCode);
        var bad = await ClientCli.RunAsync(["silence", "add", "--cidr", "10.0.0.300/8", .. admin]);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("'cidr'", bad.Error, StringComparison.Ordinal);
    }
}

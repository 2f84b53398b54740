using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Client;

/// <summary><c>send</c> against a real silo: the summary counts rejected lines by the gateway's reasons; Zeek hosts get the names the rules give them.</summary>
[Collection(SiloCollection.Name)]
public sealed class SendAgainstSiloTests(SiloFixture silo) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("orleansdetect-send-silo-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_summary_counts_rejected_lines_by_reason_and_keeps_the_good_lines()
    {
        var host = Flows.UniqueWorkload("send-reasons");
        var good = Enumerable.Range(0, 6).Select(i => Flows.NdjsonLine(host, Flows.T0.AddSeconds(i), "10.0.0.5", $"198.51.100.{i + 1}", 22)).ToArray();
        var lines = new[]
        {
            good[0], good[1],
            good[2].Replace("\"ts\":\"2026", "\"ts\":\"yesterday-2026", StringComparison.Ordinal),
            "{\"ts\": not json",
            good[3],
            good[4].Replace("\"dport\":22", "\"dport\":70000", StringComparison.Ordinal),
            good[5].Replace("\"ts\":\"2026", "\"ts\":\"x2026", StringComparison.Ordinal),
        };
        var file = Path.Combine(_directory, "mixed.ndjson");
        await File.WriteAllTextAsync(file, string.Join("\n", lines) + "\n");

        var (exitCode, output, error) = await ClientCli.RunAsync("send", file, "-g", silo.BaseAddress.ToString());

        Assert.True(exitCode == 1, output + error);
        Assert.Contains("line 3: field 'ts'", output);
        Assert.Contains("line 4: not valid JSON", output);
        Assert.Contains("line 6: field 'dport'", output);
        Assert.Contains("done: 1 batches, 7 lines in ", output);
        Assert.Contains("accepted 3, rejected 4 (dport 1, json 1, ts 2);", output);
    }

    [Fact]
    public async Task A_zeek_sweep_is_alerted_under_the_name_the_workload_rules_give_its_host()
    {
        var name = Flows.UniqueWorkload("zeek-web");
        var octet = Random.Shared.Next(1, 250);
        var prober = $"10.{octet}.7.21";
        var rules = Path.Combine(_directory, "workloads.txt");
        await File.WriteAllTextAsync(rules, $"10.{octet}.7.0/24 {name}\n");
        var file = Path.Combine(_directory, "conn.log");
        await File.WriteAllTextAsync(file, ZeekSweep(prober, 30));

        var (exitCode, output, error) = await ClientCli.RunAsync("send", file, "-g", silo.BaseAddress.ToString(), "--workloads", rules);

        Assert.True(exitCode == 0, output + error);
        Assert.Contains("(zeek)", output);
        var alert = Assert.Single(await Eventually.ListedAlerts(silo.Http, name));
        Assert.Equal("port-sweep", alert.GetProperty("type").GetString());
        Assert.Equal(30, alert.GetProperty("distinctTargets").GetInt32());
        Assert.Empty((await silo.Http.GetFromJsonAsync<JsonElement[]>($"api/v1/alerts?workload={prober}"))!);
    }

    /// <summary>Zeek TSV: a host probing tcp/22 on <paramref name="targets"/> public addresses, half refused, half silent.</summary>
    private static string ZeekSweep(string prober, int targets)
    {
        var text = new StringBuilder("""
            #separator \x09
            #unset_field	-
            #path	conn
            #fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	conn_state	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes
            #types	time	string	addr	port	addr	port	enum	string	count	count	count	count

            """.Replace("\r", "", StringComparison.Ordinal));
        for (var i = 0; i < targets; i++)
        {
            var ts = Flows.T0.AddSeconds(i).ToUnixTimeMilliseconds() / 1000.0;
            var refused = i % 2 == 0;
            text.Append(CultureInfo.InvariantCulture,
                $"{ts:F6}\tC{i:D5}\t{prober}\t{40000 + i}\t198.51.100.{i + 1}\t22\ttcp\t{(refused ? "REJ" : "S0")}\t1\t60\t{(refused ? 1 : 0)}\t{(refused ? 40 : 0)}\n");
        }

        return text.ToString();
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Http;

[Collection(SiloCollection.Name)]
public sealed class IngestApiTests(SiloFixture silo)
{
    private static StringContent Ndjson(string body) => new(body, Encoding.UTF8, "application/x-ndjson");

    private async Task<JsonElement> PostAccepted(HttpContent content)
    {
        using var response = await silo.Http.PostAsync("api/v1/flows", content);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<JsonElement[]> AlertsFor(string workload) => Eventually.ListedAlerts(silo.Http, workload);

    [Theory]
    [InlineData("ts")]
    [InlineData("src")]
    [InlineData("dst")]
    [InlineData("proto")]
    [InlineData("state")]
    [InlineData("flags")]
    [InlineData("key")]
    public async Task An_escaped_lone_surrogate_costs_only_its_own_line(string where)
    {
        var host = Flows.UniqueWorkload("surrogate");
        var good = Flows.NdjsonLine(host, Flows.T0, "10.0.0.5", "198.18.0.1", 443, "established");
        // The JSON escape \ud800 is valid JSON text but no Unicode string: the field's line must fail, not the request.
        var bad = where == "key"
            ? good.Replace("\"bytes\"", "\"by\\ud800tes\"", StringComparison.Ordinal)
            : where == "flags"
                ? good.Replace("}", ",\"flags\":\"S\\ud800\"}", StringComparison.Ordinal)
                : System.Text.RegularExpressions.Regex.Replace(good, $"\"{where}\":\"([^\"]*)\"", $"\"{where}\":\"$1\\ud800\"");
        Assert.NotEqual(good, bad);

        var answer = await PostAccepted(Ndjson($"{good}\n{bad}\n{good}\n"));
        var accepted = answer.GetProperty("accepted").GetInt32();
        var errors = answer.GetProperty("errors").EnumerateArray().ToArray();
        if (where == "key")
        {
            // An unknown (unreadable) key is skipped like any unknown key: the line is otherwise complete.
            Assert.Equal(3, accepted);
            return;
        }

        Assert.Equal(2, accepted);
        var error = Assert.Single(errors);
        Assert.Equal(2, error.GetProperty("line").GetInt32());
        Assert.Contains(where == "flags" ? "flags" : where, error.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_refused_at_the_limit_and_the_connection_closed()
    {
        // No Content-Length: the limit can only be enforced while streaming. Keep sending up to 16 × the limit; the
        // server must answer 413 and close, not read (and discard) everything.
        const long limit = 16L * 1024 * 1024;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(silo.BaseAddress.Host, silo.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = $"POST /api/v1/flows HTTP/1.1\r\nHost: {silo.BaseAddress.Authority}\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var response = new MemoryStream();
        var reading = stream.CopyToAsync(response);
        var line = Encoding.ASCII.GetBytes(Flows.NdjsonLine("chunked", Flows.T0, "10.0.0.5", "198.18.0.1", 443, "established") + "\n");
        var chunkData = Enumerable.Repeat(line, 64 * 1024 / line.Length).SelectMany(b => b).ToArray();
        var chunk = Encoding.ASCII.GetBytes($"{chunkData.Length:x}\r\n").Concat(chunkData).Concat("\r\n"u8.ToArray()).ToArray();
        long sent = 0;
        try
        {
            while (sent < 16 * limit && !reading.IsCompleted)
            {
                await stream.WriteAsync(chunk);
                sent += chunkData.Length;
            }
        }
        catch (IOException)
        {
            // The server closed the connection under us: what we want.
        }

        await reading.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }, TaskScheduler.Default);
        var text = Encoding.ASCII.GetString(response.ToArray());
        Assert.StartsWith("HTTP/1.1 413", text, StringComparison.Ordinal);
        Assert.Contains("Connection: close", text, StringComparison.OrdinalIgnoreCase);
        Assert.True(sent < 4 * limit, $"the server kept reading: {sent / (1024 * 1024)} MiB sent");
    }

    [Fact]
    public async Task An_ndjson_body_whose_first_line_starts_with_a_bracket_is_still_read_line_by_line()
    {
        var host = Flows.UniqueWorkload("bracket");
        var good = Flows.NdjsonLine(host, Flows.T0, "10.0.0.5", "198.18.0.1", 443, "established");
        var answer = await PostAccepted(Ndjson($"[1, 2\n{good}\n{good}\n"));

        Assert.Equal(2, answer.GetProperty("accepted").GetInt32());
        Assert.Equal(1, Assert.Single(answer.GetProperty("errors").EnumerateArray()).GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task Bad_lines_are_reported_by_line_and_field_while_good_lines_are_kept_and_detected_on()
    {
        var host = Flows.UniqueWorkload("mixed");
        var lines = Flows.PublicSweepNdjson(host, Flows.T0, 30, 22).TrimEnd('\n').Split('\n').ToList();
        lines.Insert(2, "this is not json");
        lines.Insert(4, $$"""{"ts":"2026-11-28T04:00:00Z","host":"{{host}}","src":"10.0.0.5","dst":"999.1.1.1","dport":22,"proto":"tcp","state":"attempted"}""");
        lines.Insert(6, $$"""{"ts":"2026-11-28T04:00:00Z","host":"{{host}}","src":"10.0.0.5","dst":"198.18.9.9","dport":70000,"proto":"tcp","state":"attempted"}""");
        lines.Insert(8, $$"""{"ts":"2026-11-28T04:00:00Z","host":"{{host}}","src":"10.0.0.5","dst":"198.18.9.9","dport":22,"proto":"sctp","state":"attempted"}""");
        lines.Insert(10, $$"""{"ts":"2026-11-28T04:00:00Z","host":"{{host}}","src":"10.0.0.5","dst":"198.18.9.9","dport":22,"proto":"tcp","state":"half-open"}""");
        lines.Insert(12, $$"""{"ts":"yesterday-ish","host":"{{host}}","src":"10.0.0.5","dst":"198.18.9.9","dport":22,"proto":"tcp","state":"attempted"}""");
        lines.Insert(14, $$"""{"ts":"2026-11-28T04:00:00Z","host":"{{host}}","dst":"198.18.9.9","dport":22,"proto":"tcp","state":"attempted"}""");

        var result = await PostAccepted(Ndjson(string.Join('\n', lines) + "\n"));

        Assert.Equal(30, result.GetProperty("accepted").GetInt32());
        Assert.Equal(7, result.GetProperty("rejected").GetInt32());
        var errors = result.GetProperty("errors").EnumerateArray()
            .ToDictionary(e => e.GetProperty("line").GetInt32(), e => e.GetProperty("error").GetString()!);
        Assert.Equal([3, 5, 7, 9, 11, 13, 15], errors.Keys.Order());
        Assert.Contains("JSON", errors[3], StringComparison.OrdinalIgnoreCase);
        Assert.Contains("dst", errors[5]);
        Assert.Contains("dport", errors[7]);
        Assert.Contains("proto", errors[9]);
        Assert.Contains("state", errors[11]);
        Assert.Contains("ts", errors[13]);
        Assert.Contains("src", errors[15]);

        var alert = Assert.Single(await AlertsFor(host));
        Assert.Equal(30, alert.GetProperty("distinctTargets").GetInt32());
    }

    [Fact]
    public async Task Json_array_bodies_are_accepted()
    {
        var host = Flows.UniqueWorkload("array");
        var items = Flows.PublicSweepNdjson(host, Flows.T0, 26, 3389).TrimEnd('\n').Split('\n');
        var result = await PostAccepted(new StringContent("[" + string.Join(",\n", items) + "]", Encoding.UTF8, "application/json"));
        Assert.Equal(26, result.GetProperty("accepted").GetInt32());
        var alert = Assert.Single(await AlertsFor(host));
        Assert.Equal("port-sweep", alert.GetProperty("type").GetString());
        Assert.Equal("medium", alert.GetProperty("severity").GetString());
    }

    [Fact]
    public async Task Empty_body_is_400_problem_details()
    {
        using var response = await silo.Http.PostAsync("api/v1/flows", Ndjson("  \n\n"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Wrong_content_type_is_415()
    {
        using var response = await silo.Http.PostAsync("api/v1/flows", new StringContent("hello", Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Body_over_the_limit_is_413_and_the_silo_keeps_serving()
    {
        var line = Flows.NdjsonLine("big", Flows.T0, "10.0.0.5", "198.18.0.1", 443, "established") + "\n";
        var big = new StringBuilder(17 * 1024 * 1024 + line.Length);
        while (big.Length <= 16 * 1024 * 1024) big.Append(line);
        using var response = await silo.Http.PostAsync("api/v1/flows", Ndjson(big.ToString()));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);

        // Streamed without a Content-Length, the limit still applies.
        var streamed = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big.ToString())));
        streamed.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/flows") { Content = streamed };
        request.Headers.TransferEncodingChunked = true;
        using var chunked = await silo.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);

        var ok = await PostAccepted(Ndjson(line));
        Assert.Equal(1, ok.GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task Workload_view_shows_the_workloads_windows_under_both_routes()
    {
        var host = Flows.UniqueWorkload("view");
        await PostAccepted(Ndjson(Flows.PublicSweepNdjson(host, Flows.T0, 10, 8443)));
        foreach (var route in new[] { "workloads", "hosts" })
        {
            var view = await silo.Http.GetFromJsonAsync<JsonElement>($"api/v1/{route}/{host}");
            Assert.Equal(host, view.GetProperty("workload").GetString());
            Assert.Equal(10, view.GetProperty("eventsSeen").GetInt64());
            Assert.Contains(view.GetProperty("sweepWindows").EnumerateArray(), w => w.GetProperty("port").GetInt32() == 8443 && w.GetProperty("distinctTargets").GetInt32() == 10);

            using var missing = await silo.Http.GetAsync($"api/v1/{route}/{Flows.UniqueWorkload("never")}");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
    }
}

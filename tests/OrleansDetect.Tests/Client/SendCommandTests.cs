using System.Text.Json;

namespace OrleansDetect.Tests.Client;

public sealed class SendCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("orleansdetect-send-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Batches_are_whole_lines_of_the_file_in_order()
    {
        await using var gateway = new FakeGateway();
        // 12 events, CRLF endings, a blank line and no final newline: the batches must still be whole events.
        var lines = Enumerable.Range(1, 12).Select(ClientCli.EventLine).ToList();
        var text = string.Join("\r\n", lines.Take(6)) + "\r\n\r\n" + string.Join("\r\n", lines.Skip(6));
        var file = WriteFile("events.ndjson", text);

        var (exitCode, output, _) = await ClientCli.RunAsync("send", file, "--gateway", gateway.Url, "--batch-size", "5");

        Assert.Equal(0, exitCode);
        var posts = gateway.FlowPosts;
        Assert.Equal([5, 5, 2], posts.Select(p => p.Lines.Length));
        Assert.All(posts, p =>
        {
            Assert.Equal("application/x-ndjson", p.ContentType);
            Assert.EndsWith("\n", p.Body);
            Assert.DoesNotContain("\r", p.Body);
            Assert.All(p.Lines, line => JsonDocument.Parse(line).Dispose());
        });
        Assert.Equal(lines, posts.SelectMany(p => p.Lines));
        Assert.Contains("accepted 12, rejected 0", output);
    }

    [Fact]
    public async Task Rejected_lines_are_reported_with_their_file_line_numbers()
    {
        // The gateway numbers lines within each request body; it rejects the 2nd line of every batch.
        await using var gateway = new FakeGateway((request, _) => request.Lines.Length < 2
            ? FakeGateway.AcceptAll(request)
            : new FakeAnswer(202, $$"""{"accepted":{{request.Lines.Length - 1}},"rejected":1,"errors":[{"line":2,"error":"'dst': not an IP address"}]}"""));
        // Blank lines at 3 and 7 shift body lines away from file lines.
        var file = WriteFile("events.ndjson", string.Join("\n",
            ClientCli.EventLine(1), ClientCli.EventLine(2), "", ClientCli.EventLine(4), ClientCli.EventLine(5), ClientCli.EventLine(6), "",
            ClientCli.EventLine(8), ClientCli.EventLine(9)) + "\n");

        var (exitCode, output, _) = await ClientCli.RunAsync("send", file, "-g", gateway.Url, "--batch-size", "3");

        Assert.Equal(1, exitCode);
        // Batches: file lines {1,2,4}, {5,6,8}, {9}; the second line of the first two is file line 2 and 6.
        Assert.Contains("line 2: 'dst': not an IP address", output);
        Assert.Contains("line 6: 'dst': not an IP address", output);
        Assert.Contains("batch 1 (lines 1-4): accepted 2, rejected 1", output);
        Assert.Contains("batch 2 (lines 5-8): accepted 2, rejected 1", output);
        Assert.Contains("accepted 5, rejected 2", output);
    }

    [Fact]
    public async Task A_busy_gateway_is_retried_and_the_key_is_sent_but_never_printed()
    {
        await using var gateway = new FakeGateway((request, index) => index == 0
            ? new FakeAnswer(503, """{"title":"Busy","detail":"try again"}""", "application/problem+json", RetryAfter: TimeSpan.Zero)
            : FakeGateway.AcceptAll(request));
        var file = WriteFile("events.ndjson", ClientCli.EventLine(1) + "\n");

        var (exitCode, output, error) = await ClientCli.RunAsync("send", file, "--gateway", gateway.Url, "--api-key", "s3cret-key");

        Assert.Equal(0, exitCode);
        Assert.Equal(2, gateway.FlowPosts.Count);
        Assert.All(gateway.FlowPosts, p => Assert.Equal("Bearer s3cret-key", p.Authorization));
        Assert.Contains("after 2 attempts", output);
        Assert.DoesNotContain("s3cret-key", output + error);
    }

    [Fact]
    public async Task A_refused_key_is_a_failure_that_stops_the_send()
    {
        await using var gateway = new FakeGateway((_, _) =>
            new FakeAnswer(401, """{"title":"Unauthorized","detail":"Ingest needs a configured API key."}""", "application/problem+json"));
        var file = WriteFile("events.ndjson", string.Join("\n", Enumerable.Range(1, 4).Select(ClientCli.EventLine)));

        var (exitCode, output, error) = await ClientCli.RunAsync("send", file, "--gateway", gateway.Url, "--api-key", "wrong-key", "--batch-size", "2");

        Assert.Equal(2, exitCode);
        Assert.Single(gateway.FlowPosts); // not retried, and the rest of the file is not sent
        Assert.Contains("HTTP 401", error);
        Assert.Contains("Ingest needs a configured API key.", error);
        Assert.DoesNotContain("wrong-key", output + error);
    }

    [Fact]
    public async Task A_dead_gateway_is_skipped_for_the_next_one()
    {
        await using var gateway = new FakeGateway();
        var dead = $"http://127.0.0.1:{FakeGateway.FreePort()}";
        var file = WriteFile("events.ndjson", string.Join("\n", Enumerable.Range(1, 6).Select(ClientCli.EventLine)));

        var (exitCode, output, _) = await ClientCli.RunAsync("send", file, "--gateway", $"{dead},{gateway.Url}", "--batch-size", "2");

        Assert.Equal(0, exitCode);
        Assert.Equal(6, gateway.FlowPosts.Sum(p => p.Lines.Length));
        Assert.Contains("accepted 6, rejected 0", output);
    }

    [Fact]
    public async Task A_batch_too_large_for_the_gateway_is_split_on_line_boundaries()
    {
        await using var gateway = new FakeGateway((request, _) => request.Lines.Length > 3
            ? new FakeAnswer(413, """{"title":"Body too large"}""", "application/problem+json")
            : FakeGateway.AcceptAll(request));
        var lines = Enumerable.Range(1, 10).Select(ClientCli.EventLine).ToList();
        var file = WriteFile("events.ndjson", string.Join("\n", lines));

        var (exitCode, output, _) = await ClientCli.RunAsync("send", file, "--gateway", gateway.Url, "--batch-size", "10");

        Assert.Equal(0, exitCode);
        var accepted = gateway.FlowPosts.Where(p => p.Lines.Length <= 3).SelectMany(p => p.Lines);
        Assert.Equal(lines, accepted);
        Assert.Contains("accepted 10, rejected 0", output);
    }

    [Fact]
    public async Task A_missing_file_is_reported()
    {
        var (exitCode, _, error) = await ClientCli.RunAsync("send", Path.Combine(_directory, "nope.ndjson"), "--gateway", "http://127.0.0.1:9");

        Assert.Equal(2, exitCode);
        Assert.Contains("cannot read", error);
    }

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }
}

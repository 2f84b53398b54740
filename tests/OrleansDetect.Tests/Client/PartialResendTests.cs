using System.Text;
using OrleansDetect.Client.Gateway;

namespace OrleansDetect.Tests.Client;

public sealed class PartialResendTests
{
    [Fact]
    public async Task A_partly_processed_batch_has_only_its_failed_lines_resent_and_each_part_acknowledged_once()
    {
        // The first answer: workload b (lines 2 and 4) was on a silo that died; a and c were processed.
        await using var fake = new FakeGateway((request, index) => index == 0
            ? new FakeAnswer(503, """
                {"title":"Partly processed","status":503,"accepted":2,"rejected":0,"late":0,"errors":[],"failedEvents":2,
                 "failed":[{"workload":"b","lines":[2,4]}]}
                """, "application/problem+json", RetryAfter: TimeSpan.Zero)
            : FakeGateway.AcceptAll(request));
        using var gateway = new HttpGateway(new GatewaySettings([new Uri(fake.Url)], null) { FirstBackoff = TimeSpan.FromMilliseconds(1) });
        var lines = new[] { Line("a", 1), Line("b", 2), Line("c", 3), Line("b", 4) };
        var acknowledged = new List<int>();

        var outcome = await gateway.PostFlowsAsync(Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n"))), acknowledged.Add, CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Failure);
        Assert.Equal(4, outcome.Response!.Accepted);
        Assert.Equal([2, 2], acknowledged);
        Assert.Equal(2, fake.FlowPosts.Count);
        Assert.Equal([lines[1], lines[3]], fake.FlowPosts[1].Lines);
        Assert.Equal(fake.FlowPosts[0].IdempotencyKey, fake.FlowPosts[1].IdempotencyKey);
        Assert.False(string.IsNullOrEmpty(fake.FlowPosts[0].IdempotencyKey));
    }

    [Fact]
    public async Task Every_new_batch_gets_a_new_idempotency_key()
    {
        await using var fake = new FakeGateway();
        using var gateway = new HttpGateway(new GatewaySettings([new Uri(fake.Url)], null));
        await gateway.PostFlowsAsync(Encoding.UTF8.GetBytes(Line("a", 1) + "\n"), CancellationToken.None);
        await gateway.PostFlowsAsync(Encoding.UTF8.GetBytes(Line("a", 1) + "\n"), CancellationToken.None);

        Assert.NotEqual(fake.FlowPosts[0].IdempotencyKey, fake.FlowPosts[1].IdempotencyKey);
    }

    private static string Line(string host, int n) =>
        $$"""{"ts":1764650000,"host":"{{host}}","src":"10.0.0.5","dst":"198.18.0.{{n}}","dport":22,"proto":"tcp"}""";
}

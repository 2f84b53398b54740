using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Telemetry;

[Collection(TracedSiloCollection.Name)]
public sealed class TracingTests(TracedSiloFixture silo)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task One_trace_runs_from_the_callers_traceparent_through_gateway_grains_and_alert_to_the_slack_post()
    {
        var workload = Flows.UniqueWorkload("traced");
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var callerSpanId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/flows")
        {
            Content = new StringContent(Flows.PublicSweepNdjson(workload, Flows.T0, 30, 22), Encoding.UTF8, "application/x-ndjson"),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{callerSpanId}-01");
        // This process's HttpClient would start a trace of its own and replace the header: send ours untouched.
        using var caller = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null })
        {
            BaseAddress = silo.BaseAddress,
        };
        using (var response = await caller.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        OtlpSpan[] Trace() => silo.Receiver.Spans.Where(s => s.TraceId == traceId).ToArray();
        var complete = await OtlpReceiver.WaitUntil(
            () => Trace().Any(s => s.Name == "slack.post" && s.StatusCode != OtlpSpan.StatusError) && Trace().Any(s => s.Name == "rss.publish"),
            Patience);
        var spans = Trace();
        Assert.True(complete, "trace incomplete; got: " + string.Join(", ", spans.Select(s => s.Name)) + "; expected " + traceId + "/" + callerSpanId + "; flows spans: " + string.Join(", ", silo.Receiver.Spans.Where(s => s.Name.Contains("flows")).Select(s => s.TraceId + "/" + s.ParentSpanId)));

        // The gateway's server span continues the caller's span.
        var server = Assert.Single(spans, s => s.Kind == OtlpSpan.KindServer && s.ParentSpanId == callerSpanId);
        Assert.Equal("Microsoft.AspNetCore", server.Scope);

        var parse = Assert.Single(spans, s => s.Name == "ingest.parse");
        Assert.Equal(30L, parse["events.accepted"]);
        Assert.Single(spans, s => s.Name == "ingest.route");

        var host = Assert.Single(spans, s => s.Name == "workload.ingest");
        Assert.Equal(workload, host["workload"]);
        Assert.Equal(30L, host["events"]);
        Assert.Equal(30L, host["failed"]);
        Assert.Equal(1L, host["findings"]);

        var report = Assert.Single(spans, s => s.Name == "alert.report");
        Assert.Equal("port-sweep", report["alert.type"]);
        Assert.Equal("medium", report["alert.severity"]);
        var alertId = Assert.IsType<string>(report["alert.id"]);
        Assert.True(IsBelow(spans, report, server), "alert.report does not descend from the gateway's request span");

        // Orleans' own grain-call spans sit between the gateway and the grains. (Orleans files interfaces whose
        // namespace starts with "Orleans" — OrleansDetect does — under its Runtime source, not Application.)
        Assert.Contains(spans, s => s.Scope.StartsWith("Microsoft.Orleans.", StringComparison.Ordinal) && s.Name == "IWorkloadGrain/Ingest");

        // The Slack post happens later, on the notifier's timer, yet in the same trace beneath the report.
        var posts = spans.Where(s => s.Name == "slack.post").ToArray();
        Assert.All(posts, p => Assert.Equal(alertId, p["alert.id"]));
        Assert.All(posts, p => Assert.True(IsBelow(spans, p, report), "slack.post is not beneath alert.report"));

        // ...with its HTTP attempts (the first was answered 429) beneath it, the secret path redacted.
        var slackPort = new Uri(silo.Slack.Url).Port;
        var attempts = spans.Where(s => s.Kind == OtlpSpan.KindClient && Equals(s["server.port"], (long)slackPort)).ToArray();
        Assert.NotEmpty(attempts);
        Assert.All(attempts, a => Assert.True(IsBelow(spans, a, report)));
        Assert.All(attempts, a => Assert.Equal($"http://127.0.0.1:{slackPort}/REDACTED", a["url.full"]));
    }

    [Fact]
    public async Task No_exported_span_or_resource_carries_the_slack_webhook_secret()
    {
        var workload = Flows.UniqueWorkload("secret");
        using (var response = await silo.Http.PostAsync("api/v1/flows",
                   new StringContent(Flows.PublicSweepNdjson(workload, Flows.T0, 30, 23), Encoding.UTF8, "application/x-ndjson")))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        Assert.True(await OtlpReceiver.WaitUntil(
            () => silo.Receiver.Spans.Any(s => s.Name == "slack.post" && Equals(s["alert.id"], AlertIdOf(workload))), Patience),
            "the alert's Slack post was never exported");

        var secret = new Uri(silo.Slack.Url).AbsolutePath;
        var slackPort = (long)new Uri(silo.Slack.Url).Port;
        // The stand-in Slack server runs in this test process; real Slack's own spans are not the silo's.
        foreach (var span in silo.Receiver.Spans.Where(s => !(s.Kind == OtlpSpan.KindServer && Equals(s["server.port"], slackPort))))
        {
            foreach (var value in span.Attributes.Values.Concat(span.Resource.Values).Append(span.Name))
            {
                Assert.False((value?.ToString() ?? "").Contains("sekrit-webhook-token", StringComparison.Ordinal), span.Name + " " + string.Join(";", span.Attributes.Select(a => a.Key + "=" + a.Value)));
            }
        }

        Assert.DoesNotContain(silo.Receiver.Spans, s => s.Kind == OtlpSpan.KindClient && s.Attributes.Values.Any(v => v is string text && text.Contains(secret, StringComparison.Ordinal)));

        string? AlertIdOf(string host) => silo.Receiver.Spans
            .Where(s => s.Name == "workload.ingest" && Equals(s["workload"], host))
            .Select(h => silo.Receiver.Spans.FirstOrDefault(r => r.Name == "alert.report" && r.TraceId == h.TraceId)?["alert.id"] as string)
            .FirstOrDefault(id => id is not null);
    }

    [Fact]
    public async Task Resource_names_the_service_its_version_and_the_silo()
    {
        Assert.True(await OtlpReceiver.WaitUntil(() => !silo.Receiver.Spans.IsEmpty || !silo.Receiver.MetricExports.IsEmpty, Patience));
        var resource = silo.Receiver.MetricExports.First().Points.First().Resource;
        Assert.Equal("orleansdetect-silo", resource["service.name"]);
        Assert.False(string.IsNullOrEmpty(resource["service.version"] as string));
        // The silo address: <ip>:<silo port>@<generation>.
        Assert.StartsWith("127.0.0.1:", Assert.IsType<string>(resource["service.instance.id"]));
    }

    /// <summary>True when <paramref name="ancestor"/> is on <paramref name="span"/>'s parent chain.</summary>
    private static bool IsBelow(IReadOnlyCollection<OtlpSpan> spans, OtlpSpan span, OtlpSpan ancestor)
    {
        var byId = spans.GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());
        var current = span;
        for (var depth = 0; depth < 64 && byId.TryGetValue(current.ParentSpanId, out var parent); depth++)
        {
            if (parent.SpanId == ancestor.SpanId) return true;
            current = parent;
        }

        return false;
    }
}

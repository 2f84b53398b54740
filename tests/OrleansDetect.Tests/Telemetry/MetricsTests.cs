using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Telemetry;

[Collection(TracedSiloCollection.Name)]
public sealed class MetricsTests(TracedSiloFixture silo)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_batch_of_good_and_bad_lines_shows_up_in_the_exported_counters()
    {
        // Counters are cumulative: read where they stand once everything before this test has been exported.
        var before = await silo.Receiver.NextMetricsAfter(DateTimeOffset.UtcNow, Patience);

        var workload = Flows.UniqueWorkload("counted");
        var lines = new List<string>();
        const int good = 7;
        for (var i = 0; i < good; i++) lines.Add(Flows.NdjsonLine(workload, Flows.T0.AddSeconds(i), "10.0.0.5", $"198.18.0.{i + 1}", 443, "established"));
        lines.Add(Flows.NdjsonLine(workload, Flows.T0, "10.0.0.5", "198.18.0.1", 70000));
        lines.Add(Flows.NdjsonLine(workload, Flows.T0, "10.0.0.5", "198.18.0.1", 70001));
        lines.Add(Flows.NdjsonLine(workload, Flows.T0, "10.0.0.5", "not-an-address", 22));
        lines.Add("{\"ts\": ");
        const int bad = 4;
        using (var response = await silo.Http.PostAsync("api/v1/flows", new StringContent(string.Join('\n', lines), Encoding.UTF8, "application/x-ndjson")))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(good, body.GetProperty("accepted").GetInt32());
            Assert.Equal(bad, body.GetProperty("rejected").GetInt32());
        }

        var after = await silo.Receiver.NextMetricsAfter(DateTimeOffset.UtcNow, Patience);

        Assert.Equal(good, Sum(after, "orleansdetect.ingest.events.accepted") - Sum(before, "orleansdetect.ingest.events.accepted"));
        Assert.Equal(bad, Sum(after, "orleansdetect.ingest.events.rejected") - Sum(before, "orleansdetect.ingest.events.rejected"));
        Assert.Equal(2, Sum(after, "orleansdetect.ingest.events.rejected", "dport") - Sum(before, "orleansdetect.ingest.events.rejected", "dport"));
        Assert.Equal(1, Sum(after, "orleansdetect.ingest.events.rejected", "dst") - Sum(before, "orleansdetect.ingest.events.rejected", "dst"));
        Assert.Equal(1, Sum(after, "orleansdetect.ingest.events.rejected", "json") - Sum(before, "orleansdetect.ingest.events.rejected", "json"));
        Assert.Equal(1, Sum(after, "orleansdetect.ingest.batch.size") - Sum(before, "orleansdetect.ingest.batch.size"));
        Assert.True(Sum(after, "orleansdetect.workloads.active") >= 1, "no active workload counted");

        // No workload id or address ever becomes a metric tag.
        Assert.DoesNotContain(after, p => p.Attributes.Values.Any(v => v is string s && (s.Contains(workload, StringComparison.Ordinal) || s.StartsWith("198.18.", StringComparison.Ordinal))));

        // Orleans', HttpClient's and the runtime's own instruments travel the same way. (ASP.NET Core's are not
        // asserted here: every web app in this test process has a meter of the same name, and disposing another
        // app's ends the shared stream — a test-process artifact, not a silo's.)
        // Orleans' meter is process-wide, so another test silo stopping can end its stream: look at every export.
        var exported = silo.Receiver.MetricExports.SelectMany(e => e.Points).ToList();
        Assert.Contains(exported, p => p.Scope is "Orleans" or "Microsoft.Orleans" && p.Metric.StartsWith("orleans-", StringComparison.Ordinal));
        Assert.Contains(exported, p => p.Metric == "http.client.request.duration");
        Assert.Contains(exported, p => p.Metric.StartsWith("process.runtime.dotnet.", StringComparison.Ordinal) || p.Metric.StartsWith("dotnet.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_alert_counts_as_raised_by_type_and_severity_and_its_deliveries_by_sink()
    {
        var before = await silo.Receiver.NextMetricsAfter(DateTimeOffset.UtcNow, Patience);
        var deliveredBefore = silo.Slack.Delivered.Count;
        var workload = Flows.UniqueWorkload("raised");
        using (var response = await silo.Http.PostAsync("api/v1/flows",
                   new StringContent(Flows.PublicSweepNdjson(workload, Flows.T0, 30, 2222), Encoding.UTF8, "application/x-ndjson")))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        Assert.True(await silo.Slack.WaitForDelivered(deliveredBefore + 1, Patience), "the alert never reached Slack");
        await Task.Delay(100);
        var after = await silo.Receiver.NextMetricsAfter(DateTimeOffset.UtcNow, Patience);

        double Delta(string metric, params (string Key, string Value)[] tags) => Sum(after, metric, tags) - Sum(before, metric, tags);
        Assert.Equal(1, Delta("orleansdetect.alerts.raised", ("alert.type", "port-sweep"), ("alert.severity", "medium")));
        // The meter is process-wide and other collections' silos deliver alerts in parallel: at least this one.
        Assert.True(Delta("orleansdetect.sink.deliveries", ("sink", "rss")) >= 1);
        Assert.True(Delta("orleansdetect.sink.deliveries", ("sink", "slack")) >= 1);
    }

    private static double Sum(List<OtlpPoint> points, string metric, string reason) => Sum(points, metric, ("reason", reason));

    private static double Sum(List<OtlpPoint> points, string metric, params (string Key, string Value)[] tags) => points
        .Where(p => p.Metric == metric && tags.All(t => Equals(p.Attributes.GetValueOrDefault(t.Key), t.Value)))
        .Sum(p => p.Value);
}

using System.Buffers;
using System.Diagnostics;
using OrleansDetect.Client.Gateway;

namespace OrleansDetect.Client.Demo;

/// <summary>
/// The <c>demo</c> command: sends <see cref="DemoScenario"/> with event time = now, reads the alerts back and
/// checks that exactly the expected ones came out (see <see cref="DemoScenario"/>: the sweeps, the unusual DNS-over-TLS, a recon
/// chain and a fleet-wide sweep), so it doubles as an end-to-end smoke test. It prints what it expects before sending,
/// waits (bounded by <c>--wait</c>) until all of it is there, and then says which were found and which are missing.
/// </summary>
internal sealed class DemoRun(IIngestTarget target, TextWriter output, TextWriter error)
{
    public const int ExitAsExpected = 0;
    public const int ExitUnexpectedAlerts = 1;
    public const int ExitTransportFailure = 2;

    /// <summary>How often the alerts are read while waiting for the expected ones.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    public async Task<int> RunAsync(DemoScenario scenario, int batchSize, TimeSpan wait, CancellationToken cancellationToken)
    {
        var events = scenario.Events;
        output.WriteLine($"demo: {events.Count} flow events from {scenario.Workloads.Count} workloads over the last {DemoScenario.Span.TotalMinutes:0} minutes, plus {DemoScenario.LearningHistory.TotalHours:0} h of learning history for {scenario.Prefix}{DemoScenario.DotNewResolverWorkload} and {scenario.Prefix}{DemoScenario.DotKnownResolverWorkload} → {target.Description}");
        output.WriteLine($"  workloads: {string.Join(", ", scenario.Workloads)}");
        output.WriteLine($"  expecting {scenario.ExpectedAlerts.Count} alerts:");
        foreach (var expected in scenario.ExpectedAlerts) output.WriteLine($"    {expected.Describe()}");

        long accepted = 0, rejected = 0;
        var body = new ArrayBufferWriter<byte>(batchSize * 200);
        for (var first = 0; first < events.Count; first += batchSize)
        {
            body.ResetWrittenCount();
            var count = Math.Min(batchSize, events.Count - first);
            for (var i = first; i < first + count; i++) FlowLineWriter.Write(body, events[i]);

            var outcome = await target.PostFlowsAsync(body.WrittenMemory, cancellationToken);
            if (outcome.Response is not { } response)
            {
                error.WriteLine($"demo: sending events {first + 1}-{first + count} failed: {outcome.Failure}");
                return ExitTransportFailure;
            }

            accepted += response.Accepted;
            rejected += response.Rejected;
            foreach (var lineError in response.Errors.Take(10))
            {
                error.WriteLine($"  event {first + lineError.Line}: {lineError.Error}");
            }
        }

        output.WriteLine($"sent: accepted {accepted}, rejected {rejected}");

        IReadOnlyList<AlertSummary> alerts;
        try
        {
            alerts = await PollAlertsAsync(scenario, wait, cancellationToken);
        }
        catch (IngestTargetException e)
        {
            error.WriteLine($"demo: reading alerts failed: {e.Message}");
            return ExitTransportFailure;
        }

        output.WriteLine();
        foreach (var alert in alerts) PrintAlert(alert);

        var missing = scenario.ExpectedAlerts.Where(e => !alerts.Any(a => Matches(a, e))).ToList();
        var unexpected = alerts.Where(a => !scenario.ExpectedAlerts.Any(e => Matches(a, e))).ToList();
        foreach (var expected in scenario.ExpectedAlerts)
        {
            if (alerts.FirstOrDefault(a => Matches(a, expected)) is { } found) output.WriteLine($"found: {expected.Describe()} (id {found.Id})");
            else output.WriteLine($"missing: {expected.Describe()}");
        }

        foreach (var alert in unexpected)
        {
            var port = alert.Port == 0 ? alert.Protocol : $"{alert.Protocol}/{alert.Port}";
            var scope = alert.Scope.Length == 0 ? "" : $" ({alert.Scope})";
            output.WriteLine($"unexpected: {alert.Severity} {alert.Type} {port}{scope} from {alert.Workload}");
        }

        output.WriteLine($"expected {scenario.ExpectedAlerts.Count} alerts, got {alerts.Count}");
        return missing.Count == 0 && unexpected.Count == 0 ? ExitAsExpected : ExitUnexpectedAlerts;
    }

    /// <summary>
    /// Reads the alerts of the scenario's workloads and of its fleet group until the expected ones are there or
    /// <paramref name="wait"/> is up. The gateway answers only after a workload's own alerts are raised, so those are
    /// there at the first read; the fleet alert comes from the fleet aggregator's next flush (about a second later).
    /// </summary>
    private async Task<IReadOnlyList<AlertSummary>> PollAlertsAsync(DemoScenario scenario, TimeSpan wait, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var alerts = new List<AlertSummary>();
            foreach (var subject in scenario.AlertSubjects)
            {
                alerts.AddRange(await target.GetAlertsAsync(new AlertQuery(Limit: 50, Workload: subject), cancellationToken));
            }

            var complete = scenario.ExpectedAlerts.All(e => alerts.Any(a => Matches(a, e)));
            if (complete || clock.Elapsed + PollInterval > wait)
            {
                return [.. alerts.DistinctBy(a => a.Id).OrderByDescending(a => a.LastSeen)];
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    private void PrintAlert(AlertSummary alert)
    {
        output.WriteLine($"[{alert.Severity.ToUpperInvariant()}] {alert.Title}");
        var port = alert.Port == 0 ? alert.Protocol : $"{alert.Protocol}/{alert.Port}";
        var scope = alert.Scope.Length == 0 ? "" : $" ({alert.Scope})";
        output.WriteLine($"    {alert.Type} {port}{scope} from {alert.Workload}, " +
                         $"event time {alert.FirstSeen:HH:mm:ss}–{alert.LastSeen:HH:mm:ss}Z, {alert.Updates} update(s), id {alert.Id}");
        var samples = alert.SampleTargets.Length > 0 ? $": {string.Join(", ", alert.SampleTargets.Take(8))}{(alert.DistinctTargets > 8 ? ", …" : "")}" : "";
        output.WriteLine($"    {alert.DistinctTargets} distinct targets{samples}");
        if (alert.Mitre.Length > 0) output.WriteLine($"    MITRE ATT&CK: {string.Join(", ", alert.Mitre)}");
        output.WriteLine();
    }

    private static bool Matches(AlertSummary alert, ExpectedAlert expected) =>
        alert.Workload == expected.Workload
        && alert.Type == expected.Type
        && alert.Port == expected.Port
        && string.Equals(alert.Scope, expected.Scope, StringComparison.OrdinalIgnoreCase)
        && string.Equals(alert.Severity, expected.Severity.Name(), StringComparison.OrdinalIgnoreCase)
        && (expected.ListedWorkloads is not { } listed || listed.All(w => alert.SampleTargets.Contains(w, StringComparer.Ordinal)));
}

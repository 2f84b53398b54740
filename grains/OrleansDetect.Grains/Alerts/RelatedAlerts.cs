namespace OrleansDetect.Grains.Alerts;

/// <summary>
/// Reports findings to their alert grains, findings that link other alerts (<see cref="Finding.Related"/>) last and
/// with the linked alerts' current ids filled in, so a recon chain or fleet sweep names the very alerts it connects.
/// </summary>
public static class RelatedAlerts
{
    /// <summary>Reports every finding; completes once all are persisted. Returns how many were reported.</summary>
    public static async Task<int> ReportAll(IGrainFactory grains, IReadOnlyList<Finding> findings)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(findings);
        var linking = 0;
        var reports = new List<Task>(findings.Count);
        foreach (var finding in findings)
        {
            if (finding.Related is { Length: > 0 }) linking++;
            else reports.Add(Report(grains, finding));
        }

        await Task.WhenAll(reports);
        if (linking == 0) return findings.Count;

        reports.Clear();
        foreach (var finding in findings)
        {
            if (finding.Related is { Length: > 0 }) reports.Add(LinkAndReport(grains, finding));
        }

        await Task.WhenAll(reports);
        return findings.Count;
    }

    /// <summary>The finding with the current ids of the alerts it links (keys without an alert are left out).</summary>
    public static async Task<Finding> Link(IGrainFactory grains, Finding finding)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(finding);
        if (finding.Related is not { Length: > 0 } related) return finding;
        var current = await Task.WhenAll(related.Select(k => grains.GetGrain<IAlertGrain>(AlertIds.GrainKey(k)).GetCurrent()));
        return finding with { RelatedAlertIds = [.. current.Where(static a => a is not null).Select(static a => a!.Id)] };
    }

    private static Task<AlertRecord> Report(IGrainFactory grains, Finding finding) =>
        grains.GetGrain<IAlertGrain>(AlertIds.GrainKey(finding.Key)).Report(finding);

    private static async Task LinkAndReport(IGrainFactory grains, Finding finding) => await Report(grains, await Link(grains, finding));
}

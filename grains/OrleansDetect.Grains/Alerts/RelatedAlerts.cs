namespace OrleansDetect.Grains.Alerts;

/// <summary>
/// Reports findings to their alert grains, findings that link other alerts (<see cref="Finding.Related"/>) last and
/// with the linked alerts' current ids filled in, so a recon chain or fleet sweep names the very alerts it connects.
/// </summary>
public static class RelatedAlerts
{
    /// <summary>
    /// Reports every finding; completes once all are persisted. Returns how many were reported. When a report fails,
    /// the findings whose report failed are added to <paramref name="failed"/> (the others were persisted) and the
    /// first failure is thrown once every report has ended.
    /// </summary>
    public static async Task<int> ReportAll(IGrainFactory grains, IReadOnlyList<Finding> findings, ICollection<Finding>? failed = null)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(findings);
        var first = await ReportWave(grains, findings, linking: false, failed);
        var second = await ReportWave(grains, findings, linking: true, failed);
        if ((first ?? second) is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return findings.Count;
    }

    /// <summary>Reports the findings that link others (or those that do not); the first failure, after all have ended.</summary>
    private static async Task<Exception?> ReportWave(IGrainFactory grains, IReadOnlyList<Finding> findings, bool linking, ICollection<Finding>? failed)
    {
        var wave = new List<(Finding Finding, Task Report)>();
        foreach (var finding in findings)
        {
            if (finding.Related is { Length: > 0 } != linking) continue;
            wave.Add((finding, linking ? LinkAndReport(grains, finding) : Report(grains, finding)));
        }

        if (wave.Count == 0) return null;
        try
        {
            await Task.WhenAll(wave.Select(static w => w.Report));
            return null;
        }
        catch (Exception e)
        {
            foreach (var (finding, report) in wave)
            {
                if (!report.IsCompletedSuccessfully) failed?.Add(finding);
            }

            return e;
        }
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

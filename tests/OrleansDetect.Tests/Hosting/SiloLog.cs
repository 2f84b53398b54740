namespace OrleansDetect.Tests.Hosting;

/// <summary>Reads what a silo process wrote with the console formatter: a "level: category[event id]" line, then the message indented.</summary>
internal static class SiloLog
{
    public sealed record Entry(string Level, string Category);

    public static List<Entry> Entries(IEnumerable<string> log) =>
        [.. log.Where(line => line.Length > 6 && line[4] == ':' && line[5] == ' ' && !line.StartsWith(' '))
            .Select(line => new Entry(line[..4], line[6..].Split('[')[0]))];

    /// <summary>
    /// The <c>fail:</c> and <c>crit:</c> lines, except one that Orleans 10.4.2 writes now and then (seen once, in a
    /// loaded full test run) while the only silo stops: it looks for another silo to move a deactivating activation
    /// to, finds none because placement already sees this one shutting down, logs that at Error and deactivates the
    /// grain in place. No state and no storage are involved. Every other failure counts.
    /// </summary>
    public static List<string> Failures(IReadOnlyList<string> log)
    {
        var failures = new List<string>();
        for (var i = 0; i < log.Count; i++)
        {
            if (!log[i].StartsWith("fail:", StringComparison.Ordinal) && !log[i].StartsWith("crit:", StringComparison.Ordinal)) continue;
            var noMigrationTarget = log[i].StartsWith("fail: Orleans.Grain[", StringComparison.Ordinal)
                                    && i + 1 < log.Count
                                    && log[i + 1].Contains("Error while selecting a migration destination", StringComparison.Ordinal);
            if (!noMigrationTarget) failures.Add(log[i]);
        }

        return failures;
    }
}

namespace OrleansDetect.Client.Load;

/// <summary>Alert latencies (ms) and misses; thread-safe. Percentiles are nearest-rank over all samples.</summary>
internal sealed class LatencyRecorder
{
    private readonly Lock _lock = new();
    private readonly List<double> _samples = [];
    private int _missed;

    public void Record(TimeSpan latency)
    {
        lock (_lock) _samples.Add(latency.TotalMilliseconds);
    }

    public void RecordMiss() => Interlocked.Increment(ref _missed);

    public int Missed => Volatile.Read(ref _missed);

    public LatencySummary Summarize()
    {
        double[] sorted;
        lock (_lock) sorted = [.. _samples];
        Array.Sort(sorted);
        return new LatencySummary(sorted.Length, Missed, Rank(sorted, 0.50), Rank(sorted, 0.95), Rank(sorted, 0.99), sorted.Length > 0 ? sorted[^1] : 0);
    }

    private static double Rank(double[] sorted, double quantile) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}

internal readonly record struct LatencySummary(int Count, int Missed, double P50, double P95, double P99, double Max)
{
    public override string ToString() => Count == 0
        ? $"alerts 0, missed {Missed}"
        : $"alerts {Count}: p50 {P50:0.0} ms, p95 {P95:0.0}, p99 {P99:0.0}, max {Max:0.0}, missed {Missed}";
}

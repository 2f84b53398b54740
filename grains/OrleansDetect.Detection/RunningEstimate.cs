namespace OrleansDetect.Detection;

/// <summary>
/// A per-window figure's running mean and variance (24 bytes, not a list of windows). While learning every
/// window weighs the same (alpha = 1/n, the exact mean); afterwards an exponentially weighted update with a small
/// alpha, so the estimate follows slow legitimate change but not a sudden burst.
/// </summary>
public record struct RunningEstimate
{
    /// <summary>"High" is mean + 2 standard deviations: about the 97.7th percentile of a normal distribution.</summary>
    public const double HighDeviations = 2;

    public int Windows { get; set; }
    public double Mean { get; set; }
    public double Variance { get; set; }

    public readonly double StdDev => Math.Sqrt(Variance);

    /// <summary>The learned high quantile.</summary>
    public readonly double High => Mean + HighDeviations * StdDev;

    /// <summary>Adds one window's figure; <paramref name="alpha"/> null means equal weights (learning).</summary>
    public void Add(double value, double? alpha)
    {
        Windows = Windows == int.MaxValue ? Windows : Windows + 1;
        var a = alpha ?? 1.0 / Windows;
        var diff = value - Mean;
        var step = a * diff;
        Mean += step;

        // West's incremental form of the exponentially weighted variance; with a = 1/n it is the population variance.
        Variance = (1 - a) * (Variance + diff * step);
    }
}

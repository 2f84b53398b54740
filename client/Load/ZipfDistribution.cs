namespace OrleansDetect.Client.Load;

/// <summary>
/// Ranks 1…N drawn with probability proportional to 1/rank^exponent (Zipf), by rejection-inversion (Hörmann and
/// Derflinger, "Rejection-inversion to generate variates from monotone discrete distributions", 1996): O(1) memory
/// whatever N, a few logarithms and exponentials a draw, about 1.1 tries on average. Exponent 0 is uniform.
/// </summary>
internal sealed class ZipfDistribution
{
    // A draw is accepted on the first try most of the time; the bound only keeps the loop finite.
    private const int MaxTries = 64;

    private readonly int _count;
    private readonly double _exponent;
    private readonly double _hIntegralX1;
    private readonly double _hIntegralCount;
    private readonly double _squeeze;

    public ZipfDistribution(int count, double exponent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (!(exponent >= 0) || double.IsInfinity(exponent)) throw new ArgumentOutOfRangeException(nameof(exponent), exponent, "must be 0 or more");
        _count = count;
        _exponent = exponent;
        if (exponent == 0) return;
        _hIntegralX1 = HIntegral(1.5) - 1;
        _hIntegralCount = HIntegral(count + 0.5);
        _squeeze = 2 - HIntegralInverse(HIntegral(2.5) - H(2));
    }

    public int Count => _count;

    /// <summary>The share of draws that rank 1 gets: 1 / Σ 1/k^exponent.</summary>
    public double TopShare()
    {
        var sum = 0.0;
        for (var k = _count; k >= 1; k--) sum += Math.Pow(k, -_exponent);
        return 1 / sum;
    }

    /// <summary>A rank from 0 (the most frequent) to <see cref="Count"/> − 1.</summary>
    public int Sample(ref LoadRandom random)
    {
        if (_exponent == 0) return (int)((random.Next() >> 32) % (uint)_count);
        var k = 1;
        for (var attempt = 0; attempt < MaxTries; attempt++)
        {
            var u = _hIntegralCount + random.NextDouble() * (_hIntegralX1 - _hIntegralCount);
            var x = HIntegralInverse(u);
            k = Math.Clamp((int)(x + 0.5), 1, _count);
            if (k - x <= _squeeze || u >= HIntegral(k + 0.5) - H(k)) break;
        }

        return k - 1;
    }

    /// <summary>∫ h from 1 to x, shifted: ((x^(1−e)) − 1) / (1 − e), or ln x at e = 1, computed without cancellation.</summary>
    private double HIntegral(double x)
    {
        var logX = Math.Log(x);
        return ExpM1OverX((1 - _exponent) * logX) * logX;
    }

    private double H(double x) => Math.Exp(-_exponent * Math.Log(x));

    private double HIntegralInverse(double x)
    {
        var t = Math.Max(x * (1 - _exponent), -1);
        return Math.Exp(Log1POverX(t) * x);
    }

    // .NET's double.ExpM1 and LogP1 are exp(x) − 1 and log(1 + x): near 0 a short series keeps the precision.
    private static double ExpM1OverX(double x) =>
        Math.Abs(x) > 1e-4 ? (Math.Exp(x) - 1) / x : 1 + x / 2 * (1 + x / 3 * (1 + x / 4));

    private static double Log1POverX(double x) =>
        Math.Abs(x) > 1e-4 ? Math.Log(1 + x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

/// <summary>xorshift64*: a few instructions a draw, and plenty for spreading synthetic traffic. A mutable struct: pass it by ref.</summary>
internal struct LoadRandom(ulong seed)
{
    private ulong _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

    public ulong Next()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 0x2545F4914F6CDD1DUL;
    }

    /// <summary>Uniform in [0, 1), 53 bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}

using System.Net;
using Microsoft.Extensions.Options;

namespace OrleansDetect.Detection;

/// <summary>The operator's own networks, counted as internal (DESIGN.md "Scope").</summary>
public sealed class NetworkScopeOptions
{
    public const string SectionName = "Detection";

    /// <summary>CIDRs such as <c>203.0.113.0/24</c> or <c>2001:db8:1::/48</c>; bound from <c>Detection:InternalNetworks</c>.</summary>
    public string[] InternalNetworks { get; set; } = [];
}

/// <summary>Port sweeps: one workload probing one port across many addresses.</summary>
public sealed class PortSweepOptions
{
    public const string SectionName = "Detection:PortSweep";

    public bool Enabled { get; set; } = true;

    /// <summary>Public sweep window (DESIGN.md: 25 / 100 distinct public destinations within 5 min).</summary>
    public TimeSpan PublicWindow { get; set; } = TimeSpan.FromMinutes(5);

    public int PublicMediumThreshold { get; set; } = 25;

    public int PublicHighThreshold { get; set; } = 100;

    /// <summary>Internal sweeps are slower and quieter, so the window is longer (10 min).</summary>
    public TimeSpan InternalWindow { get; set; } = TimeSpan.FromMinutes(10);

    public int InternalThreshold { get; set; } = 100;

    /// <summary>Remote shells, SMB, RDP, WinRM, Docker, etcd, Kubernetes API and kubelet.</summary>
    public static IReadOnlyList<int> DefaultLateralMovementPorts { get; } = [22, 23, 139, 445, 3389, 5985, 5986, 2375, 2376, 2379, 6443, 10250];

    /// <summary>Internal threshold on the lateral-movement ports.</summary>
    public int LateralMovementThreshold { get; set; } = 25;

    /// <summary>
    /// Replaces <see cref="DefaultLateralMovementPorts"/> when set. Null by default because the configuration
    /// binder appends to an initialized array instead of replacing it.
    /// </summary>
    public int[]? LateralMovementPorts { get; set; }

    public IReadOnlyList<int> EffectiveLateralMovementPorts => LateralMovementPorts ?? DefaultLateralMovementPorts;

    /// <summary>An internal sweep is high at this multiple of the internal threshold that applies to its port.</summary>
    public int InternalHighMultiplier { get; set; } = 4;

    /// <summary>Window entries (distinct port/scope/destination) per workload across all ports; bounds memory.</summary>
    public int MaxTrackedTargets { get; set; } = 50_000;

    /// <summary>
    /// Window entries one port may hold. Keeps one huge sweep from filling <see cref="MaxTrackedTargets"/> and
    /// blinding the other ports; past it the port's count saturates ("at least N").
    /// </summary>
    public int MaxTargetsPerPort { get; set; } = 10_000;

    /// <summary>Destinations quoted as evidence in a finding.</summary>
    public int SampleSize { get; set; } = 10;

    /// <summary>Replaced by <c>Detection:AllowedLateness</c> (one clock per workload); setting it stops the silo, naming the new key.</summary>
    public TimeSpan? AllowedLateness { get; set; }
}

/// <summary>Port scans: one workload probing many ports on one address.</summary>
public sealed class PortScanOptions
{
    public const string SectionName = "Detection:PortScan";

    public bool Enabled { get; set; } = true;

    /// <summary>DESIGN.md: 15 distinct failed ports on one destination within 5 min (Snort sfPortscan, Zeek scan.zeek).</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);

    public int MediumThreshold { get; set; } = 15;

    public int HighThreshold { get; set; } = 100;

    /// <summary>Window entries (destination/port pairs) per workload; bounds memory.</summary>
    public int MaxTrackedPorts { get; set; } = 50_000;

    /// <summary>Ports one destination may hold; past it the destination's count saturates ("at least N").</summary>
    public int MaxPortsPerTarget { get; set; } = 1_000;

    /// <summary>Ports quoted as evidence in a finding.</summary>
    public int SampleSize { get; set; } = 10;

    /// <summary>Replaced by <c>Detection:AllowedLateness</c> (one clock per workload); setting it stops the silo, naming the new key.</summary>
    public TimeSpan? AllowedLateness { get; set; }

    /// <summary>
    /// Ignore UDP probes to 33434–33534: traceroute and mtr walk these ports on one destination with one
    /// unanswered datagram each, which is path discovery, not a port scan.
    /// </summary>
    public bool IgnoreTraceroute { get; set; } = true;
}

/// <summary>Rejects settings that would silently disable detection; each message names the configuration key.</summary>
public sealed class NetworkScopeOptionsValidator : IValidateOptions<NetworkScopeOptions>
{
    public ValidateOptionsResult Validate(string? name, NetworkScopeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(NetworkScopeOptions.SectionName);
        for (var i = 0; i < options.InternalNetworks.Length; i++)
        {
            if (!IPNetwork.TryParse(options.InternalNetworks[i], out _))
            {
                check.Fail($"InternalNetworks:{i} '{options.InternalNetworks[i]}' is not a CIDR such as 10.20.0.0/16 or fd00:1::/48");
            }
        }

        return check.Result;
    }
}

public sealed class PortSweepOptionsValidator : IValidateOptions<PortSweepOptions>
{
    public ValidateOptionsResult Validate(string? name, PortSweepOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(PortSweepOptions.SectionName);
        check.Replaced(options.AllowedLateness is not null, nameof(options.AllowedLateness), "Detection:AllowedLateness (one clock per workload)");
        check.Positive(options.PublicWindow, nameof(options.PublicWindow));
        check.Positive(options.InternalWindow, nameof(options.InternalWindow));
        check.Positive(options.PublicMediumThreshold, nameof(options.PublicMediumThreshold));
        check.AtLeast(options.PublicHighThreshold, options.PublicMediumThreshold, nameof(options.PublicHighThreshold), nameof(options.PublicMediumThreshold));
        check.Positive(options.InternalThreshold, nameof(options.InternalThreshold));
        check.Positive(options.LateralMovementThreshold, nameof(options.LateralMovementThreshold));
        check.Positive(options.InternalHighMultiplier, nameof(options.InternalHighMultiplier));
        check.Positive(options.SampleSize, nameof(options.SampleSize));
        check.Positive(options.MaxTrackedTargets, nameof(options.MaxTrackedTargets));
        check.AtLeast(options.MaxTargetsPerPort, options.PublicHighThreshold, nameof(options.MaxTargetsPerPort), nameof(options.PublicHighThreshold));
        if ((long)options.MaxTargetsPerPort < (long)options.InternalHighMultiplier * Math.Max(options.InternalThreshold, options.LateralMovementThreshold))
        {
            check.Fail($"{nameof(options.MaxTargetsPerPort)} must be at least {nameof(options.InternalHighMultiplier)} × the internal thresholds, or an internal sweep could never reach high");
        }

        if (options.MaxTargetsPerPort > options.MaxTrackedTargets)
        {
            check.Fail($"{nameof(options.MaxTargetsPerPort)} must not exceed {nameof(options.MaxTrackedTargets)}");
        }

        for (var i = 0; i < options.EffectiveLateralMovementPorts.Count; i++)
        {
            if (options.EffectiveLateralMovementPorts[i] is < 0 or > 65535)
            {
                check.Fail($"{nameof(options.LateralMovementPorts)}:{i} must be a port number 0-65535");
            }
        }

        return check.Result;
    }
}

public sealed class PortScanOptionsValidator : IValidateOptions<PortScanOptions>
{
    public ValidateOptionsResult Validate(string? name, PortScanOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(PortScanOptions.SectionName);
        check.Replaced(options.AllowedLateness is not null, nameof(options.AllowedLateness), "Detection:AllowedLateness (one clock per workload)");
        check.Positive(options.Window, nameof(options.Window));
        check.Positive(options.MediumThreshold, nameof(options.MediumThreshold));
        check.AtLeast(options.HighThreshold, options.MediumThreshold, nameof(options.HighThreshold), nameof(options.MediumThreshold));
        check.Positive(options.SampleSize, nameof(options.SampleSize));
        check.Positive(options.MaxTrackedPorts, nameof(options.MaxTrackedPorts));
        check.AtLeast(options.MaxPortsPerTarget, options.HighThreshold, nameof(options.MaxPortsPerTarget), nameof(options.HighThreshold));
        if (options.MaxPortsPerTarget > options.MaxTrackedPorts)
        {
            check.Fail($"{nameof(options.MaxPortsPerTarget)} must not exceed {nameof(options.MaxTrackedPorts)}");
        }

        return check.Result;
    }
}

/// <summary>
/// Collects validation failures, each prefixed with the full configuration key: the one validation style of every
/// options class (an <see cref="IValidateOptions{TOptions}"/> built on this), so a bad setting stops the host
/// at start with a message naming the key.
/// </summary>
public sealed class OptionChecks(string section)
{
    private readonly List<string> _failures = [];

    public ValidateOptionsResult Result => _failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(_failures);

    public void Fail(string keyAndMessage) => _failures.Add($"{section}:{keyAndMessage}");

    public void Positive(TimeSpan value, string key)
    {
        if (value <= TimeSpan.Zero)
        {
            Fail($"{key} must be positive");
        }
    }

    public void NotNegative(TimeSpan value, string key)
    {
        if (value < TimeSpan.Zero)
        {
            Fail($"{key} must not be negative");
        }
    }

    public void Positive(int value, string key)
    {
        if (value <= 0)
        {
            Fail($"{key} must be positive");
        }
    }

    /// <summary>A key that no longer exists: say which one replaced it rather than ignore it.</summary>
    public void Replaced(bool isSet, string key, string replacement)
    {
        if (isSet)
        {
            Fail($"{key} is no longer read: set {replacement} instead");
        }
    }

    public void InRange(long value, long min, long max, string key)
    {
        if (value < min || value > max)
        {
            Fail(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{key} must be between {min} and {max}"));
        }
    }

    public void InRange(TimeSpan value, TimeSpan min, TimeSpan max, string key)
    {
        if (value < min || value > max)
        {
            Fail(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{key} must be between {min} and {max}"));
        }
    }

    public void AtLeast(int value, int floor, string key, string floorKey)
    {
        if (value < floor)
        {
            Fail($"{key} must be at least {floorKey} ({floor})");
        }
    }
}

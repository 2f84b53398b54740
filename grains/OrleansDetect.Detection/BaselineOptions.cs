using Microsoft.Extensions.Options;

namespace OrleansDetect.Detection;

/// <summary>The per-workload learned baseline (<c>Detection:Baseline</c>).</summary>
public sealed class BaselineOptions
{
    public const string SectionName = "Detection:Baseline";

    /// <summary>Event time a workload learns before deviations alert (24 h; seconds are allowed for tests and demos).</summary>
    public TimeSpan LearningPeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Windows with traffic needed as well, so one forward clock jump (or a replay ending long after it began)
    /// cannot end learning on a handful of events. Capped at the number of windows the learning period spans, so
    /// a period of seconds still ends in seconds.
    /// </summary>
    public int MinActiveWindows { get; set; } = 6;

    /// <summary>The tumbling event-time window the baseline measures volumes and fan-out in.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>After learning, each new window moves the estimates by this fraction: slow enough that an attack is not absorbed in an afternoon.</summary>
    public double AdaptRate { get; set; } = 0.01;

    /// <summary>A learned port's sweep threshold is max(static, this × its high quantile of distinct failed destinations per window).</summary>
    public double SweepMultiplier { get; set; } = 3;

    /// <summary>How often a changed baseline is written: the most baseline learning a crash can lose.</summary>
    public TimeSpan WriteInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Resolvers remembered per workload; past it the least recently used is forgotten (counted).</summary>
    public int MaxResolvers { get; set; } = 256;

    /// <summary>(protocol, port, scope) fan-out figures kept per workload; past it the least active is forgotten (counted).</summary>
    public int MaxTrackedPorts { get; set; } = 64;
}

/// <summary>Unusual encrypted DNS (<c>Detection:EncryptedDns</c>).</summary>
public sealed class EncryptedDnsOptions
{
    public const string SectionName = "Detection:EncryptedDns";

    public bool Enabled { get; set; } = true;

    /// <summary>The operator's own resolvers, added to the shipped list: they make 443 traffic to them DoH and count as known.</summary>
    public List<ResolverEntry> Resolvers { get; set; } = [];

    /// <summary>Volume alerts when a window exceeds this × the learned high quantile (DESIGN.md: 3×).</summary>
    public double VolumeMultiplier { get; set; } = 3;

    /// <summary>…and at least this many connections in the window, so a workload that normally makes 1 does not alert at 4.</summary>
    public int MinConnections { get; set; } = 20;

    /// <summary>…or, for bytes, at least this many bytes in the window (1 MiB).</summary>
    public long MinBytes { get; set; } = 1 << 20;
}

/// <summary>An operator-added resolver: a CIDR or address, and the name alerts show.</summary>
public sealed class ResolverEntry
{
    public string Cidr { get; set; } = "";

    public string Name { get; set; } = "";
}

/// <summary>A workload's event clock (<c>Detection:AllowedLateness</c>, <c>Detection:MaxClockSkew</c>).</summary>
public sealed class EventClockOptions
{
    public const string SectionName = "Detection";

    /// <summary>
    /// Events older than the workload's newest event time minus this are rejected as late. One setting for the
    /// whole workload: its sweep, scan and encrypted-DNS detectors and its baseline share one clock.
    /// </summary>
    public TimeSpan AllowedLateness { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Events stamped further than this ahead of the silo's wall clock are rejected and counted: one bogus
    /// timestamp must not drag a workload's clock into the future and make everything after it "late".
    /// Events far in the past are fine (replays); they are only late when behind the workload's own clock.
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Suppression rules (<c>Detection:Suppress:N:*</c>).</summary>
public sealed class SuppressionOptions
{
    public const string SectionName = "Detection";

    public List<SuppressionRuleOptions> Suppress { get; set; } = [];
}

/// <summary>One rule: every field set must match; unset fields match anything.</summary>
public sealed class SuppressionRuleOptions
{
    /// <summary>Workload name pattern with <c>*</c> and <c>?</c> (case-insensitive).</summary>
    public string? Workload { get; set; }

    /// <summary>Detection type: port-sweep, port-scan, unusual-encrypted-dns.</summary>
    public string? Type { get; set; }

    /// <summary>Destination network: the detection's targets (resolver, scanned host, sampled sweep targets) must all lie in it.</summary>
    public string? Cidr { get; set; }

    public int? Port { get; set; }

    public string? Reason { get; set; }
}

public sealed class BaselineOptionsValidator : IValidateOptions<BaselineOptions>
{
    public ValidateOptionsResult Validate(string? name, BaselineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(BaselineOptions.SectionName);
        check.NotNegative(options.LearningPeriod, nameof(options.LearningPeriod));
        check.Positive(options.Window, nameof(options.Window));
        check.Positive(options.WriteInterval, nameof(options.WriteInterval));
        check.Positive(options.MaxResolvers, nameof(options.MaxResolvers));
        check.Positive(options.MaxTrackedPorts, nameof(options.MaxTrackedPorts));
        if (options.MinActiveWindows < 0)
        {
            check.Fail($"{nameof(options.MinActiveWindows)} must not be negative");
        }

        if (!(options.AdaptRate is > 0 and <= 1))
        {
            check.Fail($"{nameof(options.AdaptRate)} must be in (0, 1]");
        }

        if (!(options.SweepMultiplier >= 1) || double.IsInfinity(options.SweepMultiplier))
        {
            check.Fail($"{nameof(options.SweepMultiplier)} must be at least 1");
        }

        return check.Result;
    }
}

public sealed class EncryptedDnsOptionsValidator : IValidateOptions<EncryptedDnsOptions>
{
    public ValidateOptionsResult Validate(string? name, EncryptedDnsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(EncryptedDnsOptions.SectionName);
        for (var i = 0; i < options.Resolvers.Count; i++)
        {
            if (!CidrBlock.TryParse(options.Resolvers[i].Cidr, out _))
            {
                check.Fail($"Resolvers:{i}:Cidr '{options.Resolvers[i].Cidr}' is not a CIDR or address such as 10.0.0.53/32");
            }
        }

        if (!(options.VolumeMultiplier >= 1) || double.IsInfinity(options.VolumeMultiplier))
        {
            check.Fail($"{nameof(options.VolumeMultiplier)} must be at least 1");
        }

        check.Positive(options.MinConnections, nameof(options.MinConnections));
        if (options.MinBytes <= 0)
        {
            check.Fail($"{nameof(options.MinBytes)} must be positive");
        }

        return check.Result;
    }
}

public sealed class EventClockOptionsValidator : IValidateOptions<EventClockOptions>
{
    public ValidateOptionsResult Validate(string? name, EventClockOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(EventClockOptions.SectionName);
        check.NotNegative(options.AllowedLateness, nameof(options.AllowedLateness));
        check.Positive(options.MaxClockSkew, nameof(options.MaxClockSkew));
        return check.Result;
    }
}

public sealed class SuppressionOptionsValidator : IValidateOptions<SuppressionOptions>
{
    public ValidateOptionsResult Validate(string? name, SuppressionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(SuppressionOptions.SectionName);
        for (var i = 0; i < options.Suppress.Count; i++)
        {
            var rule = options.Suppress[i];
            if (rule.Cidr is not null && !CidrBlock.TryParse(rule.Cidr, out _))
            {
                check.Fail($"Suppress:{i}:Cidr '{rule.Cidr}' is not a CIDR or address such as 10.50.0.0/16");
            }

            if (rule.Port is < 0 or > 65535)
            {
                check.Fail($"Suppress:{i}:Port must be a port number 0-65535");
            }

            if (rule.Workload is null && rule.Type is null && rule.Cidr is null && rule.Port is null)
            {
                check.Fail($"Suppress:{i} matches everything: set at least one of Workload, Type, Cidr, Port");
            }
        }

        return check.Result;
    }
}

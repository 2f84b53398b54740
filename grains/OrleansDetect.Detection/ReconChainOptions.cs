using Microsoft.Extensions.Options;

namespace OrleansDetect.Detection;

/// <summary>
/// Recon chains (<c>Detection:ReconChain:*</c>): a workload that swept a port and then port-scans hosts that answered
/// that sweep (an established or rejected reply means the host exists).
/// </summary>
public sealed class ReconChainOptions
{
    public const string SectionName = "Detection:ReconChain";

    public bool Enabled { get; set; } = true;

    /// <summary>How long after a sweep a scan of one of its responders still counts as its follow-up.</summary>
    public TimeSpan FollowUpWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Ports with failed probes whose answering hosts are remembered, per workload; the idlest go first.</summary>
    public int MaxTrackedPorts { get; set; } = 256;

    /// <summary>Answering hosts remembered per port (the shortlist a sweep yields).</summary>
    public int MaxRespondersPerPort { get; set; } = 64;
}

public sealed class ReconChainOptionsValidator : IValidateOptions<ReconChainOptions>
{
    public ValidateOptionsResult Validate(string? name, ReconChainOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new OptionChecks(ReconChainOptions.SectionName);
        check.Positive(options.FollowUpWindow, nameof(options.FollowUpWindow));
        check.InRange(options.MaxTrackedPorts, 1, 65_536, nameof(options.MaxTrackedPorts));
        check.InRange(options.MaxRespondersPerPort, 1, 4_096, nameof(options.MaxRespondersPerPort));
        return check.Result;
    }
}

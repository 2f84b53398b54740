namespace OrleansDetect.Detection;

/// <summary>Evidence entries detectors attach to findings.</summary>
internal static class FindingEvidence
{
    public static Dictionary<string, string> Saturated() => new() { [EvidenceKeys.Saturated] = "true" };
}

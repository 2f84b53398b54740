using System.Globalization;

namespace OrleansDetect.Detection;

/// <summary>
/// Whether a detector's window holds sampled flows (NetFlow/IPFIX exporters that see one in N), so its findings say
/// their counts are a lower bound. One per detector; remembers the largest interval seen while such flows stay in the window.
/// </summary>
internal struct SampledWindow
{
    private long _sampledUntilMs;
    private uint _interval;

    /// <summary>Notes a counted event; <paramref name="windowMs"/> is how long it stays in its window.</summary>
    public void Observe(in FlowEvent e, long windowMs)
    {
        if (!e.IsSampled) return;
        _sampledUntilMs = Math.Max(_sampledUntilMs, e.TimeMs + windowMs);
        _interval = Math.Max(_interval, e.SamplingInterval);
    }

    /// <summary>The finding's evidence with "sampled: 1 in N" added when sampled flows are still in the window.</summary>
    public Dictionary<string, string>? Mark(Dictionary<string, string>? evidence, long watermarkMs)
    {
        if (_interval == 0) return evidence;
        if (_sampledUntilMs <= watermarkMs)
        {
            _interval = 0;
            return evidence;
        }

        evidence ??= [];
        evidence[EvidenceKeys.Sampled] = string.Create(CultureInfo.InvariantCulture, $"1 in {_interval}");
        return evidence;
    }

    public readonly void WriteCheckpoint(CheckpointWriter writer, long watermarkMs)
    {
        writer.UInt(_interval);
        if (_interval != 0) writer.Time(_sampledUntilMs, watermarkMs);
    }

    public void ReadCheckpoint(ref CheckpointReader reader, long watermarkMs)
    {
        _interval = (uint)reader.Count(int.MaxValue);
        _sampledUntilMs = _interval == 0 ? 0 : reader.Time(watermarkMs);
    }
}

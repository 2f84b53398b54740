namespace OrleansDetect.Ingest.NetFlow;

/// <summary>What one exporter (by address) has sent: for the per-exporter log and view. Addresses are never metric tags.</summary>
public sealed class ExporterStatistics(NetAddress address)
{
    private readonly long[] _drops = new long[(int)DatagramDrop.Count];

    public NetAddress Address { get; } = address;

    public long Datagrams { get; internal set; }

    /// <summary>Flow records decoded (options records not included).</summary>
    public long Records { get; internal set; }

    /// <summary>
    /// Missing from the exporter's sequence numbers: flows for v5, export packets for v9, data records for IPFIX (each
    /// protocol counts its own unit). Reordered datagrams can add to it; a restart (the sequence jumping back) does not.
    /// </summary>
    public long SequenceLost { get; internal set; }

    /// <summary>Templates currently held (expired ones are removed when next looked up or when the cache is full).</summary>
    public int Templates { get; internal set; }

    /// <summary>Data sets waiting for their template.</summary>
    public int HeldSets { get; internal set; }

    /// <summary>Receive time (Unix ms) of the exporter's last datagram.</summary>
    public long LastSeenMs { get; internal set; }

    /// <summary>Whole datagrams dropped per reason, except <see cref="DatagramDrop.NoTemplate"/> and
    /// <see cref="DatagramDrop.TemplateLimit"/>, which count data sets or templates.</summary>
    public long Dropped(DatagramDrop reason) => _drops[(int)reason];

    public long DroppedTotal => _drops.Sum();

    internal void Drop(DatagramDrop reason, long count = 1) => _drops[(int)reason] += count;
}

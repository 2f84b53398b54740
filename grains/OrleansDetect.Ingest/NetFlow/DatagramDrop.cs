namespace OrleansDetect.Ingest.NetFlow;

/// <summary>Why a datagram, or part of one, was not decoded. The names are metric tag values.</summary>
public enum DatagramDrop : byte
{
    None,

    /// <summary>Shorter than its header, or a length or count that runs past the datagram's end.</summary>
    Truncated,

    /// <summary>Not NetFlow v5, v9 or IPFIX.</summary>
    UnknownVersion,

    /// <summary>A header, set or template whose fields contradict each other (a zero-length set, an empty record, …).</summary>
    Malformed,

    /// <summary>The exporter already holds the most templates (or exporters) a collector keeps.</summary>
    TemplateLimit,

    /// <summary>Data whose template never arrived within the hold time, or did not fit the bounded hold.</summary>
    NoTemplate,

    Count,
}

public static class DatagramDropNames
{
    public static string Name(this DatagramDrop drop) => drop switch
    {
        DatagramDrop.Truncated => "truncated",
        DatagramDrop.UnknownVersion => "unknown-version",
        DatagramDrop.Malformed => "malformed",
        DatagramDrop.TemplateLimit => "template-limit",
        DatagramDrop.NoTemplate => "no-template",
        _ => "none",
    };
}

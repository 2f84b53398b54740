namespace OrleansDetect.Ingest;

/// <summary>The body formats ingest understands.</summary>
public enum FlowFormat : byte
{
    /// <summary>One JSON object per line (our events, or Zeek's JSON conn.log); a line that is not an object is that line's error.</summary>
    Ndjson,

    /// <summary>Zeek conn.log as TSV with its <c>#separator</c> / <c>#fields</c> header.</summary>
    Zeek,

    /// <summary>AWS VPC Flow Logs: the default v2 fields without a header, or any field list with its header line.</summary>
    Vpc,

    /// <summary>One JSON array of event objects (<c>application/json</c>).</summary>
    JsonArray,
}

public static class FlowFormats
{
    /// <summary><c>ndjson</c>, <c>zeek</c>, <c>vpc</c> (any case).</summary>
    public static bool TryParse(string? text, out FlowFormat format)
    {
        format = text?.Trim().ToLowerInvariant() switch
        {
            "ndjson" or "json" or "jsonl" => FlowFormat.Ndjson,
            "zeek" or "zeek-tsv" or "conn" => FlowFormat.Zeek,
            "vpc" or "vpc-flow-logs" => FlowFormat.Vpc,
            _ => (FlowFormat)255,
        };
        return (byte)format != 255;
    }

    public static string Name(this FlowFormat format) => format switch
    {
        FlowFormat.Zeek => "zeek",
        FlowFormat.Vpc => "vpc",
        _ => "ndjson",
    };

    /// <summary>
    /// The format of a file from its first non-blank line: JSON starts with '{' or '[' (Zeek's JSON lines included),
    /// Zeek's TSV with a '#' header, a VPC header names <c>srcaddr</c>, and a headerless VPC line starts with its
    /// version number and an account id. Anything else is taken as NDJSON, whose errors then say what is wrong.
    /// </summary>
    public static FlowFormat Detect(ReadOnlySpan<byte> start)
    {
        if (start.StartsWith("\uFEFF"u8)) start = start[3..];
        var first = start.IndexOfAnyExcept(" \t\r\n"u8);
        if (first < 0) return FlowFormat.Ndjson;
        var line = start[first..];
        var end = line.IndexOf((byte)'\n');
        if (end >= 0) line = line[..end];

        if (line[0] is (byte)'{' or (byte)'[') return FlowFormat.Ndjson;
        if (line[0] == '#') return FlowFormat.Zeek;
        if (line.IndexOf("srcaddr"u8) >= 0) return FlowFormat.Vpc;

        // "2 123456789012 eni-…": a version, then an account id (or '-'), space-separated.
        var space = line.IndexOf((byte)' ');
        if (space > 0 && line[..space].IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0) return FlowFormat.Vpc;
        return FlowFormat.Ndjson;
    }
}

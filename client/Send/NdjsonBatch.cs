namespace OrleansDetect.Client.Send;

/// <summary>
/// Whole lines of an NDJSON source, ready to post, with the source line number of each body line so the
/// gateway's per-line errors can be reported against the file.
/// </summary>
/// <param name="Body">Non-blank lines, each ending in <c>\n</c>.</param>
/// <param name="SourceLines">1-based source line number of body line i+1.</param>
internal sealed record NdjsonBatch(int Number, ReadOnlyMemory<byte> Body, int[] SourceLines)
{
    public int LineCount => SourceLines.Length - HeaderLines;

    /// <summary>Zeek or VPC header lines repeated in this batch (not events).</summary>
    public int HeaderLines { get; init; }

    /// <summary>The source line of the gateway's 1-based body line; null when the gateway names a line the body does not have.</summary>
    public int? SourceLine(int bodyLine) =>
        bodyLine >= 1 && bodyLine <= SourceLines.Length ? SourceLines[bodyLine - 1] : null;

    /// <summary>Splits the batch in two halves on a line boundary (for a gateway that found it too large).</summary>
    public (NdjsonBatch First, NdjsonBatch Second) Halve()
    {
        if (LineCount < 2) throw new InvalidOperationException("a single line cannot be split");
        if (HeaderLines > 0) throw new InvalidOperationException("only NDJSON batches are split");
        var half = LineCount / 2;
        var span = Body.Span;
        var offset = 0;
        for (var i = 0; i < half; i++)
        {
            offset += span[offset..].IndexOf((byte)'\n') + 1;
        }

        return (this with { Body = Body[..offset], SourceLines = SourceLines[..half] },
                this with { Body = Body[offset..], SourceLines = SourceLines[half..] });
    }
}

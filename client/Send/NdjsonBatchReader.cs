using System.Buffers;
using System.Runtime.CompilerServices;

namespace OrleansDetect.Client.Send;

/// <summary>
/// Cuts an NDJSON stream into batches of at most N lines, always on line boundaries. Blank lines are
/// dropped (they are not events), a UTF-8 byte-order mark and CR of CRLF endings are removed, and a last
/// line without a newline still counts.
/// </summary>
internal sealed class NdjsonBatchReader(Stream source, int batchSize)
{
    private const int ReadSize = 64 * 1024;

    public async IAsyncEnumerable<NdjsonBatch> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
        try
        {
            var body = new ArrayBufferWriter<byte>(ReadSize);
            var sourceLines = new List<int>(Math.Min(batchSize, 100_000));
            var partial = new ArrayBufferWriter<byte>(1024);
            var lineNumber = 0;
            var batchNumber = 0;
            var atStart = true;

            while (true)
            {
                var read = await source.ReadAsync(buffer.AsMemory(0, ReadSize), cancellationToken);
                if (read == 0) break;
                var chunk = buffer.AsMemory(0, read);
                if (atStart)
                {
                    atStart = false;
                    if (chunk.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) chunk = chunk[3..];
                }

                while (chunk.Length > 0)
                {
                    var newline = chunk.Span.IndexOf((byte)'\n');
                    if (newline < 0)
                    {
                        partial.Write(chunk.Span);
                        break;
                    }

                    lineNumber++;
                    if (partial.WrittenCount > 0)
                    {
                        partial.Write(chunk.Span[..newline]);
                        AddLine(partial.WrittenSpan, lineNumber, body, sourceLines);
                        partial.ResetWrittenCount();
                    }
                    else
                    {
                        AddLine(chunk.Span[..newline], lineNumber, body, sourceLines);
                    }

                    chunk = chunk[(newline + 1)..];
                    if (sourceLines.Count == batchSize)
                    {
                        yield return new NdjsonBatch(++batchNumber, body.WrittenMemory.ToArray(), [.. sourceLines]);
                        body.ResetWrittenCount();
                        sourceLines.Clear();
                    }
                }
            }

            if (partial.WrittenCount > 0)
            {
                AddLine(partial.WrittenSpan, ++lineNumber, body, sourceLines);
            }

            if (sourceLines.Count > 0)
            {
                yield return new NdjsonBatch(++batchNumber, body.WrittenMemory.ToArray(), [.. sourceLines]);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void AddLine(ReadOnlySpan<byte> line, int lineNumber, ArrayBufferWriter<byte> body, List<int> sourceLines)
    {
        if (line.EndsWith((byte)'\r')) line = line[..^1];
        if (line.Trim(" \t"u8).IsEmpty) return;
        body.Write(line);
        body.Write("\n"u8);
        sourceLines.Add(lineNumber);
    }
}

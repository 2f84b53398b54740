using System.Buffers;
using System.Runtime.CompilerServices;
using OrleansDetect.Ingest;

namespace OrleansDetect.Client.Send;

/// <summary>
/// Cuts a flow file into batches of at most N lines, always on line boundaries. Blank lines are
/// dropped (they are not events), a UTF-8 byte-order mark and CR of CRLF endings are removed, and a last
/// line without a newline still counts. Zeek's '#' header lines and a VPC header line are repeated at the start
/// of every batch, so each batch can be read on its own; they do not count towards N.
/// </summary>
internal sealed class NdjsonBatchReader(Stream source, int batchSize, FlowFormat format = FlowFormat.Ndjson)
{
    private readonly List<(int Line, byte[] Text)> _header = [];
    private bool _afterData;
    private bool _headerInBatch;
    private int _dataLines;

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
                    if (_dataLines == batchSize)
                    {
                        yield return new NdjsonBatch(++batchNumber, body.WrittenMemory.ToArray(), [.. sourceLines]) { HeaderLines = sourceLines.Count - _dataLines };
                        body.ResetWrittenCount();
                        sourceLines.Clear();
                        _dataLines = 0;
                        _headerInBatch = false;
                    }
                }
            }

            if (partial.WrittenCount > 0)
            {
                AddLine(partial.WrittenSpan, ++lineNumber, body, sourceLines);
            }

            if (_dataLines > 0)
            {
                yield return new NdjsonBatch(++batchNumber, body.WrittenMemory.ToArray(), [.. sourceLines]) { HeaderLines = sourceLines.Count - _dataLines };
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void AddLine(ReadOnlySpan<byte> line, int lineNumber, ArrayBufferWriter<byte> body, List<int> sourceLines)
    {
        if (line.EndsWith((byte)'\r')) line = line[..^1];
        if (line.Trim(" \t"u8).IsEmpty) return;
        if (IsHeader(line))
        {
            // A header after data starts a new log (Zeek files concatenated): it replaces the old one.
            if (_afterData) _header.Clear();
            _afterData = false;
            _header.Add((lineNumber, line.ToArray()));
            _headerInBatch = true;
        }
        else
        {
            if (!_headerInBatch)
            {
                foreach (var (headerLine, text) in _header) Write(text, headerLine, body, sourceLines);
                _headerInBatch = true;
            }

            _afterData = true;
            _dataLines++;
        }

        Write(line, lineNumber, body, sourceLines);
    }

    private static void Write(ReadOnlySpan<byte> line, int lineNumber, ArrayBufferWriter<byte> body, List<int> sourceLines)
    {
        body.Write(line);
        body.Write("\n"u8);
        sourceLines.Add(lineNumber);
    }

    private bool IsHeader(ReadOnlySpan<byte> line) => format switch
    {
        FlowFormat.Zeek => line[0] == '#',
        FlowFormat.Vpc => line.IndexOf("srcaddr"u8) >= 0 && (uint)(line[0] - '0') > 9,
        _ => false,
    };
}

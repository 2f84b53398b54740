using System.IO.Compression;
using OrleansDetect.Ingest;

namespace OrleansDetect.Client.Send;

/// <summary>
/// Opens flow files, and standard input, as S3 and log rotation leave them: gzip-compressed or not (told by the gzip
/// magic, not the name), in a format told by their first line.
/// </summary>
internal static class FlowFiles
{
    private const int DetectBytes = 64 * 1024;

    public static Stream Open(string path) => OpenInput(path).Stream;

    /// <summary>The file's content and the file itself, whose position says how far a send has read (compressed or not).</summary>
    public static FlowInput OpenInput(string path)
    {
        var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        var isGzip = file.Read(magic) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        file.Position = 0;
        return new FlowInput(isGzip ? new GZipStream(file, CompressionMode.Decompress) : file, file);
    }

    /// <summary>
    /// Standard input (<c>aws s3 cp s3://…/x.log.gz - | send -</c>): gzip or not, and its format from its first line
    /// (see <see cref="FlowFormats.Detect"/>) unless <paramref name="format"/> is given. Only the first line is waited
    /// for, so a live pipe starts flowing at once; the bytes read to decide are sent like the rest.
    /// </summary>
    public static async Task<(FlowInput Input, FlowFormat Format)> OpenStandardInputAsync(Stream stdin, FlowFormat? format, CancellationToken cancellationToken)
    {
        var magic = await ReadHeadAsync(stdin, 2, untilLine: false, cancellationToken);
        Stream content = new PrefixedStream(magic, stdin);
        if (magic.Length == 2 && magic[0] == 0x1F && magic[1] == 0x8B) content = new GZipStream(content, CompressionMode.Decompress);
        if (format is { } given) return (new FlowInput(content, null), given);

        var head = await ReadHeadAsync(content, DetectBytes, untilLine: true, cancellationToken);
        return (new FlowInput(new PrefixedStream(head, content), null), FlowFormats.Detect(head));
    }

    /// <summary>Up to <paramref name="limit"/> bytes, fewer at the end of the stream or (<paramref name="untilLine"/>) once a line with text in it is complete.</summary>
    private static async Task<byte[]> ReadHeadAsync(Stream stream, int limit, bool untilLine, CancellationToken cancellationToken)
    {
        var head = new byte[limit];
        var length = 0;
        while (length < limit)
        {
            var read = await stream.ReadAsync(head.AsMemory(length, limit - length), cancellationToken);
            if (read == 0) break;
            length += read;
            if (untilLine && HasFirstLine(head.AsSpan(0, length))) break;
        }

        return head[..length];
    }

    private static bool HasFirstLine(ReadOnlySpan<byte> head)
    {
        var text = head.IndexOfAnyExcept(" \t\r\n"u8);
        return text >= 0 && head[text..].Contains((byte)'\n');
    }

    /// <summary>The format of the file's content (see <see cref="FlowFormats.Detect"/>).</summary>
    public static FlowFormat DetectFormat(string path)
    {
        using var stream = Open(path);
        var head = new byte[DetectBytes];
        var length = 0;
        int read;
        while (length < head.Length && (read = stream.Read(head, length, head.Length - length)) > 0) length += read;
        return FlowFormats.Detect(head.AsSpan(0, length));
    }
}

/// <summary>What <c>send</c> reads: the content, and the file under it when there is one (null for stdin).</summary>
internal sealed record FlowInput(Stream Stream, FileStream? File) : IAsyncDisposable
{
    public long? Position => File is { CanSeek: true } file ? file.Position : null;

    public long? Length => File is { CanSeek: true } file ? file.Length : null;

    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}

/// <summary>A stream whose first bytes were already read (to tell gzip and the format): those, then the rest.</summary>
internal sealed class PrefixedStream(byte[] prefix, Stream rest) : Stream
{
    private int _offset;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_offset < prefix.Length) return TakePrefix(buffer);
        return rest.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _offset < prefix.Length ? ValueTask.FromResult(TakePrefix(buffer.Span)) : rest.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) rest.Dispose();
        base.Dispose(disposing);
    }

    private int TakePrefix(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, prefix.Length - _offset);
        prefix.AsSpan(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }
}

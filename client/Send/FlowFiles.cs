using System.IO.Compression;
using OrleansDetect.Ingest;

namespace OrleansDetect.Client.Send;

/// <summary>Opens flow files as S3 and log rotation leave them: gzip-compressed or not (told by the gzip magic, not the name).</summary>
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

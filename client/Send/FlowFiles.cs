using System.IO.Compression;
using OrleansDetect.Ingest;

namespace OrleansDetect.Client.Send;

/// <summary>Opens flow files as S3 and log rotation leave them: gzip-compressed or not (told by the gzip magic, not the name).</summary>
internal static class FlowFiles
{
    private const int DetectBytes = 64 * 1024;

    public static Stream Open(string path)
    {
        var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        var isGzip = file.Read(magic) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        file.Position = 0;
        return isGzip ? new GZipStream(file, CompressionMode.Decompress) : file;
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

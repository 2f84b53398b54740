using System.Buffers.Binary;
using System.Net;

namespace OrleansDetect.Tests.Collector;

/// <summary>Builds NetFlow v9 and IPFIX messages by hand, set by set, for the cases an exporter does not produce on demand.</summary>
internal sealed class ExportMessage(byte version, uint domain = 1, uint sequence = 0, uint exportSeconds = 1_764_305_000, uint uptimeMs = 100_000)
{
    private readonly List<byte[]> _sets = [];

    public static readonly (ushort Element, ushort Length)[] V4Fields =
        [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (1, 4), (2, 4), (22, 4), (21, 4)];

    public static readonly (ushort Element, ushort Length)[] V6Fields =
        [(27, 16), (28, 16), (7, 2), (11, 2), (4, 1), (6, 1), (1, 4), (2, 4), (22, 4), (21, 4)];

    public ExportMessage Template(ushort id, params (ushort Element, ushort Length)[] fields) =>
        TemplateWithEnterprise(id, [.. fields.Select(f => (f.Element, f.Length, 0u))]);

    /// <summary>A template whose fields may carry an enterprise number (IPFIX only).</summary>
    public ExportMessage TemplateWithEnterprise(ushort id, params (ushort Element, ushort Length, uint Enterprise)[] fields)
    {
        var b = new Bytes().U16(id).U16((ushort)fields.Length);
        foreach (var (element, length, enterprise) in fields)
        {
            if (enterprise != 0) b.U16((ushort)(element | 0x8000)).U16(length).U32(enterprise);
            else b.U16(element).U16(length);
        }

        return Set(version == 9 ? (ushort)0 : (ushort)2, b.ToArray());
    }

    public ExportMessage OptionsTemplate(ushort id, (ushort Element, ushort Length)[] scope, (ushort Element, ushort Length)[] fields)
    {
        var b = new Bytes().U16(id);
        if (version == 9) b.U16((ushort)(scope.Length * 4)).U16((ushort)(fields.Length * 4));
        else b.U16((ushort)(scope.Length + fields.Length)).U16((ushort)scope.Length);
        foreach (var (element, length) in scope.Concat(fields)) b.U16(element).U16(length);
        return Set(version == 9 ? (ushort)1 : (ushort)3, b.ToArray());
    }

    /// <summary>Field count 0: withdraws one template, or all of a kind with id 2 (data) / 3 (options).</summary>
    public ExportMessage Withdraw(ushort id, bool options = false) =>
        Set(version == 9 ? (ushort)(options ? 1 : 0) : (ushort)(options ? 3 : 2), new Bytes().U16(id).U16(0).ToArray());

    public ExportMessage Data(ushort templateId, params Bytes[] records) =>
        Set(templateId, records.SelectMany(r => r.ToArray()).ToArray());

    public ExportMessage Set(ushort id, byte[] body)
    {
        _sets.Add(new Bytes().U16(id).U16((ushort)(body.Length + 4)).Raw(body).ToArray());
        return this;
    }

    public byte[] Build()
    {
        var b = new Bytes();
        var length = (version == 9 ? 20 : 16) + _sets.Sum(s => s.Length);
        if (version == 9) b.U16(9).U16((ushort)_sets.Count).U32(uptimeMs).U32(exportSeconds).U32(sequence).U32(domain);
        else b.U16(10).U16((ushort)length).U32(exportSeconds).U32(sequence).U32(domain);
        foreach (var set in _sets) b.Raw(set);
        return b.ToArray();
    }

    /// <summary>One record for <see cref="V4Fields"/> / <see cref="V6Fields"/>.</summary>
    public static Bytes Flow(string src, string dst, ushort sport, ushort dport, byte proto = 6, byte flags = 0x02,
        uint bytes = 60, uint packets = 1, uint first = 99_000, uint last = 99_500)
    {
        var b = new Bytes();
        b.Address(src).Address(dst).U16(sport).U16(dport).U8(proto).U8(flags).U32(bytes).U32(packets).U32(first).U32(last);
        return b;
    }
}

/// <summary>Big-endian bytes.</summary>
internal sealed class Bytes
{
    private readonly List<byte> _bytes = [];

    public Bytes U8(byte v)
    {
        _bytes.Add(v);
        return this;
    }

    public Bytes U16(ushort v)
    {
        Span<byte> s = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(s, v);
        return Raw(s);
    }

    public Bytes U32(uint v)
    {
        Span<byte> s = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(s, v);
        return Raw(s);
    }

    public Bytes U64(ulong v)
    {
        Span<byte> s = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(s, v);
        return Raw(s);
    }

    public Bytes Address(string text) => Raw(IPAddress.Parse(text).GetAddressBytes());

    public Bytes Raw(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes) _bytes.Add(b);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];
}

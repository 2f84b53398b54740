using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using OrleansDetect.Ingest.NetFlow;

namespace OrleansDetect.Benchmarks.Ingest;

/// <summary>
/// Decodes 100 datagrams of 30 records each (a full v5 datagram; v9 and IPFIX with softflowd's 16-field IPv4
/// template, data sets only, the template already cached). Results are per record (OperationsPerInvoke), so
/// records/s = 1e9 / Mean in ns; allocated bytes are per record too.
/// </summary>
[MemoryDiagnoser]
public class FlowDecoderBenchmarks
{
    private const int Datagrams = 100;
    private const int RecordsPerDatagram = 30;
    private const int Records = Datagrams * RecordsPerDatagram;

    // softflowd's v9/IPFIX IPv4 template: addresses, times, counters, interfaces, direction, end reason, ports, proto, flags, ip version, tos.
    private static readonly (ushort Element, ushort Length)[] Fields =
        [(8, 4), (12, 4), (22, 4), (21, 4), (1, 4), (2, 4), (10, 4), (14, 4), (61, 1), (136, 1), (7, 2), (11, 2), (4, 1), (6, 1), (60, 1), (5, 1)];

    private static readonly NetAddress Exporter = NetAddress.Parse("127.0.0.1");

    private readonly ExportedFlowBuffer _output = new(RecordsPerDatagram * 2);
    private const int AtCapacityRecords = 4 << 16;

    private readonly FlowStitcher _stitcher = new(windowMs: 500, maxPending: 1 << 16);
    private readonly FlowStitcher _fullStitcher = new(windowMs: 500, maxPending: 1 << 16);
    private readonly List<StitchedFlow> _fullStitched = new(AtCapacityRecords);
    private ExportedFlow[] _manyOneWay = [];
    private readonly List<StitchedFlow> _stitched = new(Records);
    private FlowExportDecoder _decoder = null!;
    private byte[][] _v5 = [];
    private byte[][] _v9 = [];
    private byte[][] _ipfix = [];
    private ExportedFlow[] _oneWay = [];
    private long _now = 1_764_305_100_000;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _decoder = new FlowExportDecoder();
        _v5 = [.. Enumerable.Range(0, Datagrams).Select(d => V5(random, (uint)(d * RecordsPerDatagram)))];
        _v9 = [.. Enumerable.Range(0, Datagrams).Select(d => Templated(9, random, (uint)d, withTemplate: d == 0))];
        _ipfix = [.. Enumerable.Range(0, Datagrams).Select(d => Templated(10, random, (uint)(d * RecordsPerDatagram), withTemplate: d == 0))];

        // The first datagrams carry the templates; from then on every datagram is data only.
        foreach (var datagram in new[] { _v9[0], _ipfix[0] }) _decoder.Decode(datagram, Exporter, _now, _output);
        _v9[0] = Templated(9, random, 0, withTemplate: false);
        _ipfix[0] = Templated(10, random, 0, withTemplate: false);
        var records = new List<ExportedFlow>();
        foreach (var datagram in _v9)
        {
            _output.Clear();
            if (_decoder.Decode(datagram, Exporter, _now, _output) != DatagramDrop.None || _output.Count != RecordsPerDatagram)
            {
                throw new InvalidOperationException("benchmark datagrams do not decode cleanly");
            }

            records.AddRange(_output.Records.ToArray());
        }

        _oneWay = [.. records];
        _output.Clear();

        // Distinct connections, four times the table: the collector's steady state above ~130,000 one-way records/s.
        _manyOneWay = new ExportedFlow[AtCapacityRecords];
        for (var i = 0; i < _manyOneWay.Length; i++)
        {
            var record = _oneWay[i % _oneWay.Length];
            record.Src = new OrleansDetect.NetAddress(record.Src.Hi, record.Src.Lo ^ (uint)(i / _oneWay.Length));
            record.SrcPort = (ushort)(1024 + (i % 60_000));
            _manyOneWay[i] = record;
        }
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public int NetFlowV5() => Decode(_v5);

    [Benchmark(OperationsPerInvoke = Records)]
    public int NetFlowV9() => Decode(_v9);

    [Benchmark(OperationsPerInvoke = Records)]
    public int Ipfix() => Decode(_ipfix);

    /// <summary>One-way records through the stitcher, each waiting for a reverse that never comes, then judged alone.</summary>
    [Benchmark(OperationsPerInvoke = Records)]
    public int StitchOneWay()
    {
        _stitched.Clear();
        foreach (ref readonly var record in _oneWay.AsSpan()) _stitcher.Add(record, _now, _stitched);
        _now += 1_000;
        _stitcher.Flush(_now, _stitched);
        return _stitched.Count;
    }

    /// <summary>One-way records of distinct connections through a full table: each is looked up, the oldest judged alone, and it takes its place.</summary>
    [Benchmark(OperationsPerInvoke = AtCapacityRecords)]
    public int StitchOneWayAtCapacity()
    {
        _fullStitched.Clear();
        foreach (ref readonly var record in _manyOneWay.AsSpan()) _fullStitcher.Add(record, _now, _fullStitched);
        return _fullStitched.Count;
    }

    private int Decode(byte[][] datagrams)
    {
        var records = 0;
        foreach (var datagram in datagrams)
        {
            _output.Clear();
            _decoder.Decode(datagram, Exporter, _now, _output);
            records += _output.Count;
        }

        return records;
    }

    private static byte[] V5(Random random, uint sequence)
    {
        var d = new byte[24 + (RecordsPerDatagram * 48)];
        BinaryPrimitives.WriteUInt16BigEndian(d, 5);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(2), RecordsPerDatagram);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(8), 1_764_305_000);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(16), sequence);
        for (var i = 0; i < RecordsPerDatagram; i++)
        {
            var r = d.AsSpan(24 + (i * 48), 48);
            BinaryPrimitives.WriteUInt32BigEndian(r, 0x0A010203);
            BinaryPrimitives.WriteUInt32BigEndian(r[4..], (uint)random.Next());
            BinaryPrimitives.WriteUInt32BigEndian(r[16..], 1);
            BinaryPrimitives.WriteUInt32BigEndian(r[20..], 60);
            BinaryPrimitives.WriteUInt32BigEndian(r[24..], 99_000);
            BinaryPrimitives.WriteUInt32BigEndian(r[28..], 99_500);
            BinaryPrimitives.WriteUInt16BigEndian(r[32..], (ushort)random.Next(32768, 61000));
            BinaryPrimitives.WriteUInt16BigEndian(r[34..], 22);
            r[37] = 0x02;
            r[38] = 6;
        }

        return d;
    }

    private static byte[] Templated(byte version, Random random, uint sequence, bool withTemplate)
    {
        var header = version == 9 ? 20 : 16;
        var recordLength = Fields.Sum(f => f.Length);
        var templateSet = withTemplate ? 4 + 4 + (Fields.Length * 4) : 0;
        var dataSet = 4 + (RecordsPerDatagram * recordLength);
        var d = new byte[header + templateSet + dataSet];
        BinaryPrimitives.WriteUInt16BigEndian(d, version);
        if (version == 9)
        {
            BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(2), (ushort)(RecordsPerDatagram + (withTemplate ? 1 : 0)));
            BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), 100_000);
            BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(8), 1_764_305_000);
            BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(12), sequence);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(2), (ushort)d.Length);
            BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), 1_764_305_000);
            BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(8), sequence);
        }

        var p = header;
        if (withTemplate)
        {
            BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p), version == 9 ? (ushort)0 : (ushort)2);
            BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p + 2), (ushort)templateSet);
            BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p + 4), 1024);
            BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p + 6), (ushort)Fields.Length);
            p += 8;
            foreach (var (element, length) in Fields)
            {
                BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p), element);
                BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p + 2), length);
                p += 4;
            }
        }

        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p), 1024);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p + 2), (ushort)dataSet);
        p += 4;
        for (var i = 0; i < RecordsPerDatagram; i++)
        {
            var r = d.AsSpan(p, recordLength);
            BinaryPrimitives.WriteUInt32BigEndian(r, 0x0A010203);
            BinaryPrimitives.WriteUInt32BigEndian(r[4..], (uint)random.Next());
            BinaryPrimitives.WriteUInt32BigEndian(r[8..], 99_000);
            BinaryPrimitives.WriteUInt32BigEndian(r[12..], 99_500);
            BinaryPrimitives.WriteUInt32BigEndian(r[16..], 60);
            BinaryPrimitives.WriteUInt32BigEndian(r[20..], 1);
            BinaryPrimitives.WriteUInt16BigEndian(r[34..], (ushort)random.Next(32768, 61000));
            BinaryPrimitives.WriteUInt16BigEndian(r[36..], 22);
            r[38] = 6;
            r[39] = 0x02;
            r[40] = 4;
            p += recordLength;
        }

        return d;
    }
}

using System.Text;
using BenchmarkDotNet.Attributes;
using OrleansDetect.Ingest;

namespace OrleansDetect.Benchmarks.Ingest;

/// <summary>
/// Parses 10,000 Zeek conn.log TSV lines (with the standard header) and 10,000 VPC Flow Log lines (the default v2
/// format, and the v5 fields with a header). Results are per line, so lines/s = 1e9 / Mean in ns.
/// </summary>
[MemoryDiagnoser]
public class FlowLogBenchmarks
{
    private const int Lines = 10_000;

    private readonly FlowParser _parser = new();
    private byte[] _zeek = [];
    private byte[] _vpcV2 = [];
    private byte[] _vpcV5 = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        string[] states = ["S0", "REJ", "SF"];
        var zeek = new StringBuilder("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n" +
            "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n" +
            "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n");
        var v2 = new StringBuilder();
        var v5 = new StringBuilder("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path\n");
        for (var i = 0; i < Lines; i++)
        {
            var ts = 1_764_305_000 + (i / 10);
            var src = $"10.1.{i % 20}.{(i % 200) + 3}";
            var dst = $"198.51.{random.Next(256)}.{random.Next(256)}";
            var sport = random.Next(32768, 61000);
            var dport = i % 3 == 0 ? 22 : random.Next(1, 1024);
            zeek.Append($"{ts}.{i % 1_000_000:D6}\tC{i:x8}\t{src}\t{sport}\t{dst}\t{dport}\ttcp\t-\t0.5\t0\t0\t{states[i % 3]}\tT\tF\t0\tS\t1\t60\t0\t0\t-\n");
            v2.Append($"2 123456789012 eni-0a1b2c3d4e5f6{i % 20:D4} {src} {dst} {sport} {dport} 6 1 44 {ts} {ts + 60} {(i % 2 == 0 ? "REJECT" : "ACCEPT")} OK\n");
            v5.Append($"5 123456789012 eni-0a1b2c3d4e5f6{i % 20:D4} {src} {dst} {sport} {dport} 6 1 44 {ts} {ts + 60} ACCEPT OK vpc-1 subnet-1 i-0abc123def45{i % 20:D5} 2 IPv4 {src} {dst} eu-west-1 euw1-az1 - - - - egress 1\n");
        }

        _zeek = Encoding.UTF8.GetBytes(zeek.ToString());
        _vpcV2 = Encoding.UTF8.GetBytes(v2.ToString());
        _vpcV5 = Encoding.UTF8.GetBytes(v5.ToString());
        if (ZeekTsv() != Lines || VpcV2() != Lines || VpcV5WithHeader() != Lines)
        {
            throw new InvalidOperationException("benchmark input does not parse cleanly");
        }
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public int ZeekTsv() => _parser.Parse(_zeek, FlowFormat.Zeek).Accepted;

    [Benchmark(OperationsPerInvoke = Lines)]
    public int VpcV2() => _parser.Parse(_vpcV2, FlowFormat.Vpc).Accepted;

    [Benchmark(OperationsPerInvoke = Lines)]
    public int VpcV5WithHeader() => _parser.Parse(_vpcV5, FlowFormat.Vpc).Accepted;
}

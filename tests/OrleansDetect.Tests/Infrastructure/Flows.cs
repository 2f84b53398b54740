using System.Globalization;
using System.Text;

namespace OrleansDetect.Tests.Infrastructure;

/// <summary>Builds flow events and NDJSON bodies for tests.</summary>
public static class Flows
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 28, 4, 0, 0, TimeSpan.Zero);

    public static FlowEvent Failed(DateTimeOffset ts, string src, string dst, int dport, FlowProtocol proto = FlowProtocol.Tcp) =>
        new(ts.ToUnixTimeMilliseconds(), NetAddress.Parse(src), 40000, NetAddress.Parse(dst), (ushort)dport, proto, FlowState.Attempted, 60, 1);

    public static FlowEvent Established(DateTimeOffset ts, string src, string dst, int dport) =>
        new(ts.ToUnixTimeMilliseconds(), NetAddress.Parse(src), 40000, NetAddress.Parse(dst), (ushort)dport, FlowProtocol.Tcp, FlowState.Established, 5000, 12);

    /// <summary>A sweep of <paramref name="count"/> public addresses (198.18.0.0/15, benchmark space: public) on one port, a second apart.</summary>
    public static FlowEvent[] PublicSweep(DateTimeOffset start, int count, int port, string src = "10.0.0.5", int offset = 0) =>
        Enumerable.Range(offset, count)
            .Select(i => Failed(start.AddSeconds(i - offset), src, $"198.18.{i / 250}.{i % 250 + 1}", port))
            .ToArray();

    public static FlowEvent[] InternalSweep(DateTimeOffset start, int count, int port, string src = "10.0.0.5") =>
        Enumerable.Range(0, count)
            .Select(i => Failed(start.AddSeconds(i), src, $"10.77.{i / 250}.{i % 250 + 1}", port))
            .ToArray();

    public static string NdjsonLine(string host, DateTimeOffset ts, string src, string dst, int dport, string state = "attempted", string proto = "tcp") =>
        string.Create(CultureInfo.InvariantCulture,
            $$"""{"ts":"{{ts.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}}","host":"{{host}}","src":"{{src}}","sport":40000,"dst":"{{dst}}","dport":{{dport}},"proto":"{{proto}}","state":"{{state}}","bytes":60,"packets":1}""");

    public static string PublicSweepNdjson(string host, DateTimeOffset start, int count, int port)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            sb.Append(NdjsonLine(host, start.AddSeconds(i), "10.0.0.5", $"198.18.{i / 250}.{i % 250 + 1}", port)).Append('\n');
        }

        return sb.ToString();
    }

    public static string UniqueWorkload(string name) => $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)];
}

using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace OrleansDetect.Benchmarks;

/// <summary>
/// End to end through a running silo's UDP collector: sends IPFIX datagrams of 30 records (100 workloads, ordinary
/// established traffic) at a fixed rate to 127.0.0.1, waits until the collector has taken in what it was going to,
/// and reports this run's figures: records sent and decoded, the collector's sequence loss (IPFIX counts data records,
/// so this is every record that never reached the decoder) and the kernel's drops on the collector's socket
/// (<c>/proc/net/udp</c>). Each run uses a fresh observation domain, so runs against one silo do not add up. Usage:
/// <c>collector-replay SILO_URL UDP_PORT RECORDS_PER_SECOND SECONDS</c>.
/// </summary>
internal static class CollectorReplay
{
    private const int RecordsPerDatagram = 30;
    private const int RecordLength = 4 + 4 + 2 + 2 + 1 + 1 + 4 + 4 + 8;

    public static async Task RunAsync(string[] args)
    {
        var silo = new Uri(args[1]);
        var port = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        var rate = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
        var seconds = int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
        using var http = new HttpClient { BaseAddress = silo };
        var before = await ReadCollectorAsync(http, port);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(IPAddress.Loopback, port);
        var domain = (uint)Random.Shared.Next(1, int.MaxValue);
        var datagramsPerMs = rate / 1000.0 / RecordsPerDatagram;
        var buffer = new byte[16 + 8 + (4 * 9) + 4 + (RecordsPerDatagram * RecordLength)];
        uint sequence = 0;
        long sent = 0;
        var clock = Stopwatch.StartNew();
        long datagrams = 0;
        var random = new Random(7);
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            // Catch up with the schedule after any pause, so the rate holds over the run.
            var target = (long)(clock.Elapsed.TotalMilliseconds * datagramsPerMs);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            while (datagrams < target)
            {
                var length = Build(buffer, sequence, domain, now, random);
                socket.Send(buffer.AsSpan(0, length));
                sequence += RecordsPerDatagram;
                sent += RecordsPerDatagram;
                datagrams++;
            }

            // Sleep, not spin: on a shared box a spinning sender takes a core from the silo it is measuring (a real
            // exporter is another machine); ~1 ms bursts of ~17 datagrams at 500 k/s are nothing to the socket buffer.
            Thread.Sleep(1);
        }

        var elapsed = clock.Elapsed.TotalSeconds;

        // The collector is done when its record count stops moving (bounded: 20 s).
        var after = await ReadCollectorAsync(http, port);
        for (var polls = 0; polls < 100; polls++)
        {
            await Task.Delay(200);
            var next = await ReadCollectorAsync(http, port);
            if (next == after) break;
            after = next;
        }

        var decoded = after.Records - before.Records;
        var lost = after.SequenceLost - before.SequenceLost;
        var drops = after.SocketDrops - before.SocketDrops;
        Console.WriteLine($"sent {sent} records in {elapsed:F1} s: {sent / elapsed:F0} records/s");
        // Sequence loss cannot see datagrams dropped before the first one that arrived; sent - decoded counts every one.
        Console.WriteLine($"decoded {decoded} records ({decoded / elapsed:F0}/s over the send): lost {sent - decoded} " +
                          $"({100.0 * (sent - decoded) / Math.Max(sent, 1):F2} %); sequence loss {lost} records; " +
                          $"socket drops {drops} datagrams ({drops * RecordsPerDatagram} records)");
    }

    /// <summary>The collector's totals for 127.0.0.1 and the kernel's drop count on its socket.</summary>
    private static async Task<(long Records, long SequenceLost, long SocketDrops)> ReadCollectorAsync(HttpClient http, int port)
    {
        using var json = JsonDocument.Parse(await http.GetStringAsync("api/v1/collector/exporters"));
        long records = 0, lost = 0;
        foreach (var exporter in json.RootElement.EnumerateArray())
        {
            if (exporter.GetProperty("exporter").GetString() != "127.0.0.1") continue;
            records = exporter.GetProperty("records").GetInt64();
            lost = exporter.GetProperty("sequenceLost").GetInt64();
        }

        return (records, lost, SocketDrops(port));
    }

    /// <summary>The <c>drops</c> column of the socket bound to <paramref name="port"/> in <c>/proc/net/udp</c> (0 off Linux).</summary>
    private static long SocketDrops(int port)
    {
        if (!File.Exists("/proc/net/udp")) return 0;
        var local = $":{port:X4}";
        foreach (var line in File.ReadLines("/proc/net/udp").Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 12 && fields[1].EndsWith(local, StringComparison.Ordinal))
            {
                return long.Parse(fields[^1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>One IPFIX message: the template set, then 30 established client-to-server records with absolute milliseconds.</summary>
    private static int Build(byte[] d, uint sequence, uint domain, long nowMs, Random random)
    {
        var p = 16;
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p), 2);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p + 2), 4 + 4 + (9 * 4));
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p + 4), 300);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p + 6), 9);
        p += 8;
        foreach (var (element, length) in new (ushort, ushort)[] { (8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (1, 4), (2, 4), (153, 8) })
        {
            BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p), element);
            BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p + 2), length);
            p += 4;
        }

        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p), 300);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(p + 2), (ushort)(4 + (RecordsPerDatagram * RecordLength)));
        p += 4;
        for (var i = 0; i < RecordsPerDatagram; i++)
        {
            var r = d.AsSpan(p, RecordLength);
            BinaryPrimitives.WriteUInt32BigEndian(r, 0x0A010000 | (uint)random.Next(100));
            BinaryPrimitives.WriteUInt32BigEndian(r[4..], 0xCB007100 | (uint)random.Next(256));
            BinaryPrimitives.WriteUInt16BigEndian(r[8..], (ushort)random.Next(32768, 61000));
            BinaryPrimitives.WriteUInt16BigEndian(r[10..], 443);
            r[12] = 6;
            r[13] = 0x18;
            BinaryPrimitives.WriteUInt32BigEndian(r[14..], 1500);
            BinaryPrimitives.WriteUInt32BigEndian(r[18..], 5);
            BinaryPrimitives.WriteUInt64BigEndian(r[22..], (ulong)nowMs);
            p += RecordLength;
        }

        BinaryPrimitives.WriteUInt16BigEndian(d, 10);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(2), (ushort)p);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), (uint)(nowMs / 1000));
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(8), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(12), domain);
        return p;
    }
}

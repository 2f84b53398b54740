using System.Net;
using System.Net.Sockets;
using OrleansDetect.Silo.Collector;

namespace OrleansDetect.Tests.Collector;

/// <summary>The collector's recvmmsg: several queued datagrams in one call, each with its own bytes and sender.</summary>
public sealed class DatagramBatchTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void Queued_datagrams_come_in_one_call_with_their_senders(string loopback)
    {
        Assert.True(DatagramBatch.IsSupported, "the collector's batch receive needs 64-bit Linux");
        var address = IPAddress.Parse(loopback);
        using var collector = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        collector.Bind(new IPEndPoint(address, 0));
        using var exporter = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        exporter.Bind(new IPEndPoint(address, 0));
        var datagrams = Enumerable.Range(1, 5).Select(n => Enumerable.Repeat((byte)n, n * 300).ToArray()).ToArray();
        foreach (var datagram in datagrams) exporter.SendTo(datagram, collector.LocalEndPoint!);
        using var batch = new DatagramBatch();

        // On loopback a send has queued its datagram before it returns: all five wait for the one call.
        var count = batch.Receive(collector.SafeHandle, out var errno);

        Assert.True(count == datagrams.Length, $"recvmmsg returned {count} (errno {errno})");
        var received = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(NetAddress.Parse(loopback), batch.Sender(i));
            received.Add(batch.Datagram(i).ToArray());
        }

        Assert.Equal(datagrams, received);
    }
}

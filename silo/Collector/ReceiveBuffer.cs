using System.Net.Sockets;

namespace OrleansDetect.Silo.Collector;

/// <summary>
/// Sizes the collector's socket buffer, which is all that holds datagrams while the receive loop is off the CPU. Linux
/// caps <c>SO_RCVBUF</c> at <c>net.core.rmem_max</c> (often 208 KiB or a few MiB: a fraction of a second at 500,000
/// records/s); a process with <c>CAP_NET_ADMIN</c> (root in a container) may pass the cap with <c>SO_RCVBUFFORCE</c>, as
/// nfcapd and pmacct do.
/// </summary>
internal static class ReceiveBuffer
{
    private const int SolSocket = 1;
    private const int SoRcvBufForce = 33;

    /// <summary>Asks for <paramref name="bytes"/> and returns what the kernel keeps for datagrams.</summary>
    public static int Set(Socket socket, int bytes)
    {
        socket.ReceiveBufferSize = bytes;
        if (!OperatingSystem.IsLinux()) return socket.ReceiveBufferSize;

        // Linux reports twice what it keeps for data (the other half is its own bookkeeping).
        if (socket.ReceiveBufferSize / 2 < bytes)
        {
            try
            {
                socket.SetRawSocketOption(SolSocket, SoRcvBufForce, BitConverter.GetBytes(bytes));
            }
            catch (SocketException)
            {
                // No CAP_NET_ADMIN: the capped size stands, and the collector says so at start.
            }
        }

        return socket.ReceiveBufferSize / 2;
    }
}

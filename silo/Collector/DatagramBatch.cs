using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace OrleansDetect.Silo.Collector;

/// <summary>
/// Linux <c>recvmmsg(2)</c>: up to <see cref="Capacity"/> datagrams per system call instead of one. At 500,000
/// records/s (≈ 17,000 datagrams/s) the one-datagram <c>recvfrom</c> took about half of the receive thread's time; a
/// backlog that built up while the thread was off the CPU now drains in few calls. Elsewhere (or where the call is
/// missing) the collector receives one datagram at a time.
/// </summary>
internal sealed unsafe partial class DatagramBatch : IDisposable
{
    public const int Capacity = 32;
    private const int MaxDatagram = 65_536;
    private const int NameBytes = 128;
    private const int MsgWaitForOne = 0x10000;
    private const int AfInet = 2;
    private const int AfInet6 = 10;

    private readonly byte* _buffers;
    private readonly byte* _names;
    private readonly IoVec* _iov;
    private readonly MMsgHdr* _messages;

    public DatagramBatch()
    {
        _buffers = (byte*)NativeMemory.Alloc((nuint)(Capacity * MaxDatagram));
        _names = (byte*)NativeMemory.AllocZeroed((nuint)(Capacity * NameBytes));
        _iov = (IoVec*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(IoVec)));
        _messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(MMsgHdr)));
    }

    /// <summary>Whether this platform has the call (Linux, 64-bit: the structures below are its layout).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>
    /// Waits (up to the socket's receive timeout) for a datagram, then takes every one already queued, up to
    /// <see cref="Capacity"/>. Returns how many, or -1 with <paramref name="errno"/> set.
    /// </summary>
    public int Receive(SafeHandle socket, out int errno)
    {
        for (var i = 0; i < Capacity; i++)
        {
            _iov[i] = new IoVec { Base = _buffers + ((long)i * MaxDatagram), Length = MaxDatagram };
            _messages[i] = new MMsgHdr
            {
                Header = new MsgHdr { Name = _names + (i * NameBytes), NameLength = NameBytes, Iov = &_iov[i], IovLength = 1 },
            };
        }

        var count = RecvMmsg((int)socket.DangerousGetHandle(), _messages, Capacity, MsgWaitForOne, null);
        errno = count < 0 ? Marshal.GetLastPInvokeError() : 0;
        return count;
    }

    /// <summary>The <paramref name="i"/>th datagram of the last <see cref="Receive"/>.</summary>
    public ReadOnlySpan<byte> Datagram(int i) => new(_buffers + ((long)i * MaxDatagram), (int)_messages[i].Length);

    /// <summary>Its sender (sockaddr_in / sockaddr_in6); the unspecified address when the kernel gave neither.</summary>
    public NetAddress Sender(int i)
    {
        var name = new ReadOnlySpan<byte>(_names + (i * NameBytes), NameBytes);
        return BinaryPrimitives.ReadUInt16LittleEndian(name) switch
        {
            AfInet => NetAddress.FromV4(BinaryPrimitives.ReadUInt32BigEndian(name[4..])),
            AfInet6 => new NetAddress(BinaryPrimitives.ReadUInt64BigEndian(name[8..]), BinaryPrimitives.ReadUInt64BigEndian(name[16..])),
            _ => default,
        };
    }

    public void Dispose()
    {
        NativeMemory.Free(_buffers);
        NativeMemory.Free(_names);
        NativeMemory.Free(_iov);
        NativeMemory.Free(_messages);
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int RecvMmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }
}

using System.Buffers;
using System.Buffers.Binary;

namespace OrleansDetect.Detection;

/// <summary>
/// The compact binary form of a workload's windows checkpoint (<see cref="WorkloadDetection.WriteCheckpoint"/>):
/// a version byte, then varints throughout. Times are written as differences from the workload's clock, so a
/// window member costs about 10 bytes (group index, IPv4 address, when it leaves the window, attempts) and a group
/// never reported its key and one byte, instead of the ~30 a field-tagged serializer spends on such a record. It is written every few seconds per probing
/// workload and only ever read by the next activation, so a version this silo does not know is discarded (the
/// windows start empty, as before checkpoints existed) rather than migrated.
/// </summary>
internal sealed class CheckpointWriter
{
    public const byte Version = 1;

    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public CheckpointWriter() => Byte(Version);

    public int Length => _buffer.WrittenCount;

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public void Byte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void UInt(ulong value)
    {
        var span = _buffer.GetSpan(10);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        _buffer.Advance(n);
    }

    /// <summary>A signed value, zigzag-encoded so small negatives stay small.</summary>
    public void Int(long value) => UInt((ulong)((value << 1) ^ (value >> 63)));

    /// <summary>A time as its difference from <paramref name="watermarkMs"/> (wrapping arithmetic keeps the sentinels exact).</summary>
    public void Time(long timeMs, long watermarkMs) => Int(unchecked(timeMs - watermarkMs));

    public void Address(NetAddress address)
    {
        if (address.IsV4)
        {
            Byte(4);
            BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), address.V4);
            _buffer.Advance(4);
            return;
        }

        Byte(6);
        var span = _buffer.GetSpan(16);
        BinaryPrimitives.WriteUInt64BigEndian(span, address.Hi);
        BinaryPrimitives.WriteUInt64BigEndian(span[8..], address.Lo);
        _buffer.Advance(16);
    }
}

/// <summary>Reads what <see cref="CheckpointWriter"/> wrote; any inconsistency throws <see cref="InvalidCheckpointException"/>.</summary>
internal ref struct CheckpointReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public CheckpointReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        var version = Byte();
        if (version != CheckpointWriter.Version)
        {
            throw new InvalidCheckpointException($"version {version} is not {CheckpointWriter.Version}");
        }
    }

    public readonly bool AtEnd => _position == _data.Length;

    public byte Byte()
    {
        if (_position >= _data.Length) throw new InvalidCheckpointException($"truncated at byte {_position}");
        return _data[_position++];
    }

    public ulong UInt()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = Byte();
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }

        throw new InvalidCheckpointException($"varint longer than 10 bytes at byte {_position}");
    }

    public long Int()
    {
        var raw = UInt();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    /// <summary>A count that cannot exceed <paramref name="max"/> (a corrupt count must not size an allocation).</summary>
    public int Count(int max)
    {
        var value = UInt();
        if (value > (ulong)max) throw new InvalidCheckpointException($"count {value} exceeds {max} at byte {_position}");
        return (int)value;
    }

    public long Time(long watermarkMs) => unchecked(Int() + watermarkMs);

    public NetAddress Address()
    {
        var kind = Byte();
        if (kind == 4)
        {
            Need(4);
            var v4 = BinaryPrimitives.ReadUInt32BigEndian(_data[_position..]);
            _position += 4;
            return NetAddress.FromV4(v4);
        }

        if (kind != 6) throw new InvalidCheckpointException($"address kind {kind} at byte {_position - 1}");
        Need(16);
        var hi = BinaryPrimitives.ReadUInt64BigEndian(_data[_position..]);
        var lo = BinaryPrimitives.ReadUInt64BigEndian(_data[(_position + 8)..]);
        _position += 16;
        return new NetAddress(hi, lo);
    }

    private readonly void Need(int bytes)
    {
        if (_data.Length - _position < bytes) throw new InvalidCheckpointException($"truncated at byte {_position}");
    }
}

/// <summary>A stored checkpoint that cannot be read; the workload starts with empty windows instead.</summary>
public sealed class InvalidCheckpointException(string message) : Exception($"windows checkpoint unreadable: {message}");

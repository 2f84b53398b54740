using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace OrleansDetect;

/// <summary>
/// A batch's idempotency key (the <c>Idempotency-Key</c> header) as a workload grain remembers it: 64 bits of the
/// key's SHA-256, so a long client key costs a workload 8 bytes. Two keys colliding within one workload's
/// remembered batches (at most a few thousand) has a probability below 10⁻¹².
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct IngestBatchKey([property: Id(0)] ulong Value)
{
    /// <summary>No key: the batch is processed however often it arrives.</summary>
    public static readonly IngestBatchKey None = default;

    public bool IsNone => Value == 0;

    public static IngestBatchKey From(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        var value = BinaryPrimitives.ReadUInt64LittleEndian(hash);
        // 0 means "no key"; a key hashing to it is moved next door.
        return new IngestBatchKey(value == 0 ? 1 : value);
    }
}

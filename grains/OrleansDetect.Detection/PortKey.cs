namespace OrleansDetect.Detection;

/// <summary>
/// (protocol, destination port, target scope) packed into one int: the key of a sweep window and of the
/// baseline's learned fan-out for it (one layout for both), cheap to hash and compare.
/// </summary>
public readonly struct PortKey(FlowProtocol protocol, int port, TargetScope scope) : IEquatable<PortKey>
{
    private readonly int _packed = ((int)protocol << 24) | ((int)scope << 16) | (port & 0xFFFF);

    public FlowProtocol Protocol => (FlowProtocol)(_packed >> 24);

    public int Port => _packed & 0xFFFF;

    public TargetScope Scope => (TargetScope)((_packed >> 16) & 0xFF);

    public bool Equals(PortKey other) => _packed == other._packed;

    public override bool Equals(object? obj) => obj is PortKey other && Equals(other);

    public override int GetHashCode() => _packed;

    public static bool operator ==(PortKey left, PortKey right) => left.Equals(right);

    public static bool operator !=(PortKey left, PortKey right) => !left.Equals(right);
}

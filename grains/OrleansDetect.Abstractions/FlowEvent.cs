namespace OrleansDetect;

/// <summary>Transport protocol of a flow; values are the IANA protocol numbers.</summary>
public enum FlowProtocol : byte
{
    Icmp = 1,
    Tcp = 6,
    Udp = 17,
}

public static class FlowProtocolNames
{
    /// <summary>"tcp", "udp", "icmp", or the IANA number.</summary>
    public static string Name(this FlowProtocol protocol) => protocol switch
    {
        FlowProtocol.Tcp => "tcp",
        FlowProtocol.Udp => "udp",
        FlowProtocol.Icmp => "icmp",
        _ => ((int)protocol).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>What became of a connection attempt.</summary>
public enum FlowState : byte
{
    /// <summary>No answer (SYN without SYN-ACK, UDP without reply).</summary>
    Attempted = 1,

    /// <summary>Refused: TCP RST or ICMP unreachable.</summary>
    Rejected = 2,

    /// <summary>Handshake completed or data flowed both ways.</summary>
    Established = 3,
}

/// <summary>
/// One network flow seen by a monitored workload. The workload itself is not carried here: events travel
/// grouped by workload (<see cref="WorkloadFlows"/>), so each grain call names it once.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct FlowEvent(
    [property: Id(0)] long TimeMs,
    [property: Id(1)] NetAddress Src,
    [property: Id(2)] ushort SrcPort,
    [property: Id(3)] NetAddress Dst,
    [property: Id(4)] ushort DstPort,
    [property: Id(5)] FlowProtocol Protocol,
    [property: Id(6)] FlowState State,
    [property: Id(7)] long Bytes,
    [property: Id(8)] long Packets,
    [property: Id(9)] uint SamplingInterval = 0)
{
    /// <summary>Sweeps and scans count only failed attempts: completed handshakes from health checkers are not probes.</summary>
    public bool IsFailed => State is FlowState.Attempted or FlowState.Rejected;

    /// <summary>An exporter saw one in <see cref="SamplingInterval"/> packets or flows (NetFlow/IPFIX sampling); 0 or 1: every one.</summary>
    public bool IsSampled => SamplingInterval > 1;
}

/// <summary>A batch's events for one workload.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkloadFlows([property: Id(0)] string Workload, [property: Id(1)] FlowEvent[] Events);

/// <summary>
/// One request's events for one workload, with that request's idempotency key: a workload call carries the segments of
/// every request that reached the workload while its previous call was in flight.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record IngestSegment([property: Id(0)] FlowEvent[] Events, [property: Id(1)] IngestBatchKey Key);

/// <summary>What a workload grain did with a batch.</summary>
[GenerateSerializer, Immutable]
public readonly record struct WorkloadIngestResult(
    [property: Id(0)] int Accepted,
    [property: Id(1)] int Late,
    [property: Id(2)] int Alerts);

/// <summary>
/// What the router did with a whole batch: events counted, and events rejected as late or from the future; and the
/// indices (into the batch) of the workloads it could not deliver to, in order. Their events were not processed, or
/// not confirmed: resend them (with the same <see cref="IngestBatchKey"/>, so a workload that did process them is not
/// counted twice).
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct IngestResult(
    [property: Id(0)] int Accepted,
    [property: Id(1)] int Late,
    [property: Id(40)] int[]? Failed = null)
{
    public bool AnyFailed => Failed is { Length: > 0 };
}

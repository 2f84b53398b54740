namespace OrleansDetect.Client;

/// <summary>One flow event as the client writes it: an NDJSON line of the ingest API, before formatting.</summary>
internal readonly record struct FlowLine(
    long TimeMs,
    string Host,
    NetAddress Src,
    ushort SrcPort,
    NetAddress Dst,
    ushort DstPort,
    FlowProtocol Protocol,
    FlowState State,
    long Bytes,
    long Packets)
{
    public bool IsFailed => State is FlowState.Attempted or FlowState.Rejected;
}

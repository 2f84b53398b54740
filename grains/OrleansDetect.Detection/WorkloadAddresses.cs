namespace OrleansDetect.Detection;

/// <summary>
/// Learns which address is the workload's own, so flows <em>towards</em> it are not blamed on it. Flow logs
/// labelled with a workload carry its inbound traffic too: internet background scanners hitting a server
/// would otherwise read as "the server probed 300 ports on itself". The workload's own address is the one
/// that appears in nearly every flow, as source or destination: a Misra–Gries heavy-hitter summary over
/// both ends finds it in constant memory and a few compares per event. Once an address is trusted as the
/// workload's own, flows <em>from</em> it are outbound by definition and skip the summary (one compare — most
/// flows), so the summary describes the flows that could be inbound.
/// </summary>
public sealed class WorkloadAddresses
{
    private const int Slots = 4;

    /// <summary>Flows of evidence before an address is trusted as the workload's own.</summary>
    private const long MinEvidence = 8;

    private readonly NetAddress[] _addresses = new NetAddress[Slots];
    private readonly long[] _counts = new long[Slots];
    private long _observed;

    /// <summary>The slot of the address trusted as the workload's own, or -1.</summary>
    private int _trusted = -1;

    /// <summary>The workload's own address, once there is evidence for one.</summary>
    public NetAddress? Self => _trusted >= 0 ? _addresses[_trusted] : null;

    private int TrustedSlot()
    {
        var best = -1;
        for (var i = 0; i < Slots; i++)
        {
            if (_counts[i] > 0 && (best < 0 || _counts[i] > _counts[best])) best = i;
        }

        // A heavy hitter must show up in at least a third of the flows counted to be "self".
        return best >= 0 && _counts[best] >= MinEvidence && _counts[best] * 3 >= _observed ? best : -1;
    }

    public long InboundEvents { get; private set; }

    /// <summary>Counts both ends of the flow; true when it runs towards the workload (its own address is the destination).</summary>
    public bool ObserveIsInbound(in FlowEvent e)
    {
        if (_trusted >= 0 && e.Src == _addresses[_trusted]) return false;
        var inbound = CountIsInbound(in e);
        _trusted = TrustedSlot();
        return inbound;
    }

    private bool CountIsInbound(in FlowEvent e)
    {
        _observed++;
        var src = Add(e.Src);
        if (e.Src == e.Dst) return false;
        var dst = Add(e.Dst);
        if (dst < 0) return false;

        // Inbound only when the destination is a heavy hitter clearly heavier than the source: a workload
        // port-scanning one target has source and destination in every flow, and the source never loses.
        // (Adding the destination cannot take the source's slot: the source's count is at least 1.)
        var dstCount = _counts[dst];
        if (dstCount < MinEvidence || dstCount * 3 < _observed) return false;
        var srcCount = src >= 0 ? _counts[src] : 0;
        if (dstCount <= srcCount) return false;
        InboundEvents++;
        return true;
    }

    /// <summary>Counts one sighting (Misra–Gries); the address's slot, or -1 when every slot was decremented instead.</summary>
    private int Add(NetAddress address)
    {
        var free = -1;
        for (var i = 0; i < Slots; i++)
        {
            if (_counts[i] > 0 && _addresses[i] == address)
            {
                _counts[i]++;
                return i;
            }

            if (_counts[i] == 0 && free < 0) free = i;
        }

        if (free >= 0)
        {
            _addresses[free] = address;
            _counts[free] = 1;
            return free;
        }

        for (var i = 0; i < Slots; i++) _counts[i]--;
        return -1;
    }
}

namespace OrleansDetect.Detection;

/// <summary>
/// Learns which address is the workload's own, so flows <em>towards</em> it are not blamed on it. Flow logs
/// labelled with a workload carry its inbound traffic too: internet background scanners hitting a server
/// would otherwise read as "the server probed 300 ports on itself". The workload's own address is the one
/// that appears in nearly every flow, as source or destination: a Misra–Gries heavy-hitter summary over
/// both ends finds it in constant memory and a few compares per event.
/// </summary>
public sealed partial class WorkloadAddresses
{
    private const int Slots = 4;

    /// <summary>Flows of evidence before an address is trusted as the workload's own.</summary>
    private const long MinEvidence = 8;

    private readonly NetAddress[] _addresses = new NetAddress[Slots];
    private readonly long[] _counts = new long[Slots];
    private long _observed;

    /// <summary>The workload's own address, once there is evidence for one.</summary>
    public NetAddress? Self
    {
        get
        {
            var best = -1;
            for (var i = 0; i < Slots; i++)
            {
                if (_counts[i] > 0 && (best < 0 || _counts[i] > _counts[best])) best = i;
            }

            // A heavy hitter must show up in at least a third of the flows seen to be "self".
            return best >= 0 && _counts[best] >= MinEvidence && _counts[best] * 3 >= _observed ? _addresses[best] : null;
        }
    }

    public long InboundEvents { get; private set; }

    /// <summary>Counts both ends of the flow; true when it runs towards the workload (its own address is the destination).</summary>
    public bool ObserveIsInbound(in FlowEvent e)
    {
        _observed++;
        Add(e.Src);
        if (e.Dst != e.Src) Add(e.Dst);
        if (e.Src == e.Dst) return false;

        // Inbound only when the destination is a heavy hitter clearly heavier than the source: a workload
        // port-scanning one target has source and destination in every flow, and the source never loses.
        var dstCount = CountOf(e.Dst);
        if (dstCount < MinEvidence || dstCount * 3 < _observed || dstCount <= CountOf(e.Src)) return false;
        InboundEvents++;
        return true;
    }

    private long CountOf(NetAddress address)
    {
        for (var i = 0; i < Slots; i++)
        {
            if (_counts[i] > 0 && _addresses[i] == address) return _counts[i];
        }

        return 0;
    }

    private void Add(NetAddress address)
    {
        var free = -1;
        for (var i = 0; i < Slots; i++)
        {
            if (_counts[i] > 0 && _addresses[i] == address)
            {
                _counts[i]++;
                return;
            }

            if (_counts[i] == 0 && free < 0) free = i;
        }

        if (free >= 0)
        {
            _addresses[free] = address;
            _counts[free] = 1;
            return;
        }

        for (var i = 0; i < Slots; i++) _counts[i]--;
    }
}

using System.Buffers;

namespace OrleansDetect.Ingest;

/// <summary>
/// Groups one body's events by workload. Workload names are interned per body, so a thousand lines from "web-1"
/// allocate the string once; events go to one pooled buffer and are copied out into exact-size arrays at the end.
/// </summary>
public sealed class WorkloadBatches
{
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _byNameSpan;
    private readonly Dictionary<NetAddress, int> _bySrc = [];
    private readonly List<string> _names = [];
    private FlowEvent[] _events;
    private int[] _workloadOf;
    private int[]? _lineOf;
    private int _count;

    public WorkloadBatches(int capacityHint)
    {
        _byNameSpan = _byName.GetAlternateLookup<ReadOnlySpan<char>>();
        _events = ArrayPool<FlowEvent>.Shared.Rent(Math.Max(capacityHint, 16));
        _workloadOf = ArrayPool<int>.Shared.Rent(_events.Length);
    }

    public int Count => _count;

    /// <summary>The workload named by the event's <c>host</c>.</summary>
    public int WorkloadNamed(ReadOnlySpan<char> name)
    {
        // Bodies usually come from one agent, so the previous line's workload is the likeliest.
        if (_count > 0 && name.SequenceEqual(_names[_workloadOf[_count - 1]]))
        {
            return _workloadOf[_count - 1];
        }

        return _byNameSpan.TryGetValue(name, out var workload) ? workload : Add(name.ToString());
    }

    /// <summary>The workload of an event without <c>host</c>: its source address, written canonically.</summary>
    public int WorkloadOfSource(NetAddress src)
    {
        if (!_bySrc.TryGetValue(src, out var workload))
        {
            var name = src.ToString();
            workload = _byName.TryGetValue(name, out var existing) ? existing : Add(name);
            _bySrc.Add(src, workload);
        }

        return workload;
    }

    public void Add(int workload, in FlowEvent flow)
    {
        if (_count == _events.Length)
        {
            Grow();
        }

        _events[_count] = flow;
        _workloadOf[_count] = workload;
        _count++;
    }

    /// <summary>Adds an event and remembers the body line it came from, so a failed workload's lines can be named (<see cref="Lines"/>).</summary>
    public void Add(int workload, in FlowEvent flow, int line)
    {
        _lineOf ??= ArrayPool<int>.Shared.Rent(_events.Length);
        if (_count == _events.Length)
        {
            Grow();
        }

        _lineOf[_count] = line;
        Add(workload, flow);
    }

    /// <summary>
    /// After <see cref="Build"/>: the body line of every event, in the built order (the first workload's events, then
    /// the second's, …); empty when no line was recorded.
    /// </summary>
    public int[] Lines { get; private set; } = [];

    /// <summary>Copies the events out per workload and returns the pooled buffers; call once.</summary>
    public WorkloadFlows[] Build()
    {
        var batches = new WorkloadFlows[_names.Count];
        var sizes = new int[_names.Count];
        for (var i = 0; i < _count; i++)
        {
            sizes[_workloadOf[i]]++;
        }

        var arrays = new FlowEvent[_names.Count][];
        for (var w = 0; w < arrays.Length; w++)
        {
            // Every slot is written below, so skip the zeroing (FlowEvent holds no references).
            arrays[w] = GC.AllocateUninitializedArray<FlowEvent>(sizes[w]);
            batches[w] = new WorkloadFlows(_names[w], arrays[w]);
            sizes[w] = 0;
        }

        for (var i = 0; i < _count; i++)
        {
            var w = _workloadOf[i];
            arrays[w][sizes[w]++] = _events[i];
        }

        if (_lineOf is not null)
        {
            Lines = BuildLines(sizes);
            ArrayPool<int>.Shared.Return(_lineOf);
            _lineOf = null;
        }

        ArrayPool<FlowEvent>.Shared.Return(_events);
        ArrayPool<int>.Shared.Return(_workloadOf);
        _events = [];
        _workloadOf = [];
        _count = 0;
        return batches;
    }

    /// <summary>Event lines grouped like the events: workload w's lines start after the sizes of the workloads before it.</summary>
    private int[] BuildLines(int[] sizes)
    {
        var start = new int[sizes.Length];
        for (var w = 1; w < sizes.Length; w++)
        {
            start[w] = start[w - 1] + sizes[w - 1];
        }

        var lines = new int[_count];
        for (var i = 0; i < _count; i++)
        {
            lines[start[_workloadOf[i]]++] = _lineOf![i];
        }

        return lines;
    }

    private int Add(string name)
    {
        var workload = _names.Count;
        _names.Add(name);
        _byName.Add(name, workload);
        return workload;
    }

    private void Grow()
    {
        var events = ArrayPool<FlowEvent>.Shared.Rent(_events.Length * 2);
        var workloadOf = ArrayPool<int>.Shared.Rent(events.Length);
        _events.AsSpan(0, _count).CopyTo(events);
        _workloadOf.AsSpan(0, _count).CopyTo(workloadOf);
        if (_lineOf is not null)
        {
            var lineOf = ArrayPool<int>.Shared.Rent(events.Length);
            _lineOf.AsSpan(0, _count).CopyTo(lineOf);
            ArrayPool<int>.Shared.Return(_lineOf);
            _lineOf = lineOf;
        }

        ArrayPool<FlowEvent>.Shared.Return(_events);
        ArrayPool<int>.Shared.Return(_workloadOf);
        _events = events;
        _workloadOf = workloadOf;
    }
}

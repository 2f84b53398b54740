namespace OrleansDetect.Ingest;

/// <summary>The outcome of parsing one ingest request body.</summary>
public sealed class ParsedFlows
{
    internal static readonly ParsedFlows Empty = new([], 0, 0, [], isEmpty: true, []);

    internal ParsedFlows(
        WorkloadFlows[] batches, int accepted, int rejected, IReadOnlyList<LineError> errors, bool isEmpty,
        IReadOnlyList<KeyValuePair<string, int>> rejectionReasons)
    {
        Batches = batches;
        Accepted = accepted;
        Rejected = rejected;
        Errors = errors;
        IsEmpty = isEmpty;
        RejectionReasons = rejectionReasons;
    }

    /// <summary>Valid events grouped by workload, workloads in first-seen order, events in body order within a workload.</summary>
    public WorkloadFlows[] Batches { get; }

    /// <summary>Number of valid events (the sum of all batches' lengths).</summary>
    public int Accepted { get; }

    /// <summary>Number of lines (or array elements) that were rejected, including those beyond <see cref="Errors"/>' cap.</summary>
    public int Rejected { get; }

    /// <summary>The first rejected lines' errors, in body order, capped at the parser's <c>maxErrorsReported</c>.</summary>
    public IReadOnlyList<LineError> Errors { get; }

    /// <summary>
    /// Every rejected line counted once under a reason: <c>json</c> (not a JSON object) or the wire name of its first
    /// invalid or missing field (<c>ts</c>, <c>dport</c>, …). The counts add up to <see cref="Rejected"/>.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, int>> RejectionReasons { get; }

    /// <summary>Lines skipped because they hold no flow by their own account (VPC's NODATA and SKIPDATA records); not rejections.</summary>
    public int Skipped { get; init; }

    /// <summary>The body held no lines or array elements at all (only whitespace, or <c>[]</c>).</summary>
    public bool IsEmpty { get; }

    /// <summary>The body line (or array element) of every event, workload after workload as in <see cref="Batches"/>.</summary>
    internal int[] EventLines { get; init; } = [];

    private int[]? _firstEventOf;

    /// <summary>The 1-based body lines (array elements) that hold the events of <see cref="Batches"/>[<paramref name="workload"/>], in body order.</summary>
    public ReadOnlySpan<int> LinesOf(int workload)
    {
        if (EventLines.Length == 0) return [];
        if (_firstEventOf is null)
        {
            var first = new int[Batches.Length + 1];
            for (var w = 0; w < Batches.Length; w++)
            {
                first[w + 1] = first[w] + Batches[w].Events.Length;
            }

            _firstEventOf = first;
        }

        return EventLines.AsSpan(_firstEventOf[workload], Batches[workload].Events.Length);
    }
}

/// <summary>Why one line was rejected.</summary>
/// <param name="Line">1-based NDJSON line number, or the 1-based element index when the body is a JSON array.</param>
/// <param name="Error">What is wrong, naming the field.</param>
public readonly record struct LineError(int Line, string Error);

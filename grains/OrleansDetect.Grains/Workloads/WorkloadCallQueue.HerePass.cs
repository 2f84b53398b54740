using System.Buffers;
using System.Runtime.InteropServices;
using OrleansDetect.Grains.Diagnostics;

namespace OrleansDetect.Grains.Workloads;

public sealed partial class WorkloadCallQueue
{
    /// <summary>A request's segments for workloads active on this silo (<paramref name="Here"/>, pooled), waiting to be fed in process.</summary>
    private readonly record struct HereWork(Delivery Delivery, WorkloadFlows[] Batch, (int Index, WorkloadGrain Grain)[] Here, int Count);

    /// <summary>
    /// One feeder's pass over the requests that queued while it fed the last: groups their segments by workload, in the
    /// order the requests queued, feeds each workload all of its segments at once, and answers them. A workload that is
    /// deactivating gets grain calls after all; one whose findings must be reported first (or that must register, or
    /// show Orleans it is busy) gets an empty one, and its segments are answered once that call has. The scratch is
    /// the feeder's, reused from pass to pass.
    /// </summary>
    private sealed class HerePass
    {
        private readonly Dictionary<WorkloadGrain, int> _groupOf = new(ReferenceEqualityComparer.Instance);
        private readonly List<Group> _groups = [];
        private readonly List<Link> _links = [];
        private SegmentEvents[] _events = new SegmentEvents[8];
        private WorkloadIngestResult[] _results = new WorkloadIngestResult[8];

        /// <summary>Feeds <paramref name="works"/> and returns their arrays to the pool; adds the segments that need a grain call to <paramref name="calls"/>.</summary>
        public void Feed(List<HereWork> works, List<(string Workload, Segment Segment)> calls)
        {
            GroupByWorkload(works);
            foreach (var group in CollectionsMarshal.AsSpan(_groups))
            {
                FeedGroup(works, group, calls);
            }

            foreach (var work in works)
            {
                ArrayPool<(int, WorkloadGrain)>.Shared.Return(work.Here, clearArray: true);
            }

            _groups.Clear();
            _links.Clear();
            _groupOf.Clear();
        }

        /// <summary>One group per workload, its segments linked in queue order. A lone request's workloads are distinct already.</summary>
        private void GroupByWorkload(List<HereWork> works)
        {
            for (var w = 0; w < works.Count; w++)
            {
                var work = works[w];
                if (work.Delivery.PastDeadline)
                {
                    // Waited past its deadline for a feeder: nothing of it is fed (it is answered as failed, and a
                    // resend with its key is processed then).
                    for (var h = 0; h < work.Count; h++) work.Delivery.MaySend(work.Here[h].Index);
                    continue;
                }

                for (var h = 0; h < work.Count; h++)
                {
                    var link = _links.Count;
                    _links.Add(new Link(w, work.Here[h].Index));
                    var grain = work.Here[h].Grain;
                    if (works.Count > 1)
                    {
                        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_groupOf, grain, out var exists);
                        if (exists)
                        {
                            ref var group = ref CollectionsMarshal.AsSpan(_groups)[slot];
                            CollectionsMarshal.AsSpan(_links)[group.Last].Next = link;
                            group.Last = link;
                            group.Count++;
                            continue;
                        }

                        slot = _groups.Count;
                    }

                    _groups.Add(new Group(grain, link));
                }
            }
        }

        private void FeedGroup(List<HereWork> works, Group group, List<(string Workload, Segment Segment)> calls)
        {
            if (_events.Length < group.Count)
            {
                _events = new SegmentEvents[group.Count * 2];
                _results = new WorkloadIngestResult[group.Count * 2];
            }

            var links = CollectionsMarshal.AsSpan(_links);
            for (int l = group.First, j = 0; l >= 0; l = links[l].Next, j++)
            {
                var work = works[links[l].Work];
                _events[j] = new SegmentEvents(work.Batch[links[l].Index].Events, work.Delivery.Key);
            }

            var events = _events.AsSpan(0, group.Count);
            var results = _results.AsSpan(0, group.Count);

            // Read only when someone traces: this runs once per workload of every pass.
            var started = DetectTelemetry.Source.HasListeners() ? DateTime.UtcNow : default;
            bool observed, settle;
            try
            {
                observed = group.Grain.TryObserveHere(events, results, out settle);
            }
            catch (Exception e)
            {
                // A bug, as a grain call's exception would be: the requests fail as a whole, their other workloads go on.
                for (var l = group.First; l >= 0; l = links[l].Next)
                {
                    works[links[l].Work].Delivery.Fail(links[l].Index, e);
                }

                events.Clear();
                return;
            }

            for (int l = group.First, j = 0; l >= 0; l = links[l].Next, j++)
            {
                var (delivery, batch, _, _) = works[links[l].Work];
                var index = links[l].Index;
                var flows = batch[index];
                if (!observed)
                {
                    calls.Add((flows.Workload, new Segment(delivery, index, flows.Events)));
                    continue;
                }

                WorkloadIngestTracing.TraceHere(delivery.Span, started, flows, results[j]);
                delivery.Sent(index);
                if (settle)
                {
                    calls.Add((flows.Workload, new Segment(delivery, index, [], results[j])));
                }
                else
                {
                    delivery.Answer(index, results[j]);
                }
            }

            // Not holding the requests' events until the next pass.
            events.Clear();
        }

        /// <summary>A workload's segments in this pass: the first and last of its links, and how many.</summary>
        private record struct Group(WorkloadGrain Grain, int First)
        {
            public int Last = First;
            public int Count = 1;
        }

        /// <summary>One segment (the request it came in, and the workload's index in that request's batch); the next of its workload's.</summary>
        private record struct Link(int Work, int Index)
        {
            public int Next = -1;
        }
    }
}

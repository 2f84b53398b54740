namespace OrleansDetect.Benchmarks;

public static class Program
{
    public static async Task Main(string[] args)
    {
        if (args is ["baseline-memory", ..])
        {
            BaselineMemory.Run();
            return;
        }

        if (args is ["recon-memory", ..])
        {
            ReconMemory.Run();
            return;
        }

        if (args is ["alert-path", ..])
        {
            await AlertPath.Run(args);
            return;
        }

        if (args is ["collector-replay", _, _, _, _])
        {
            CollectorReplay.RunAsync(args).GetAwaiter().GetResult();
            return;
        }

        if (args is ["console-render", _, ..])
        {
            ConsoleRender.Run(args);
            return;
        }

        if (args is ["detection-cardinality", ..])
        {
            DetectionCardinality.Run(args);
            return;
        }

        if (args is ["detection-loop", ..])
        {
            // A quick in-process figure (and a steady loop to profile with dotnet-trace): replays the
            // WorkloadDetectionBenchmarks trace, everything on and without the recon additions ("breakdown": without
            // each one of them too).
            var bench = new WorkloadDetectionBenchmarks();
            bench.Setup();
            // Variants take turns, one replay each, and each reports its median: on a shared box the load drifts
            // within seconds, and turns expose every variant to the same drift.
            var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15;
            (string Name, Func<int> Run)[] variants = args.Length > 2 && args[2] == "breakdown"
                ? [("all", bench.AllDetectors), .. new[] { "slow", "chain", "fleet", "incident" }.Select(a => ($"without {a}", bench.WithoutOne(a))), ("sweep-only", bench.WithoutRecon)]
                : [("all", bench.AllDetectors), ("sweep-only", bench.WithoutRecon)];
            var times = variants.Select(_ => new List<double>()).ToArray();
            var bytes = new long[variants.Length];
            for (var round = 0; round < rounds; round++)
            {
                for (var v = 0; v < variants.Length; v++)
                {
                    var allocated = GC.GetAllocatedBytesForCurrentThread();
                    var sw = System.Diagnostics.Stopwatch.StartNew();
                    variants[v].Run();
                    times[v].Add(sw.Elapsed.TotalNanoseconds / WorkloadDetectionBenchmarks.EventsPerReplay);
                    bytes[v] += GC.GetAllocatedBytesForCurrentThread() - allocated;
                }
            }

            for (var v = 0; v < variants.Length; v++)
            {
                times[v].Sort();
                System.Console.WriteLine($"{variants[v].Name}: median {times[v][times[v].Count / 2]:F1} ns/event (min {times[v][0]:F1}), {(double)bytes[v] / rounds / WorkloadDetectionBenchmarks.EventsPerReplay:F1} B/event");
            }

            return;
        }

        if (args is ["decoder-loop", ..])
        {
            var bench = new Ingest.FlowDecoderBenchmarks();
            bench.Setup();
            foreach (var (name, run) in new (string, Func<int>)[] { ("v5", bench.NetFlowV5), ("v9", bench.NetFlowV9), ("ipfix", bench.Ipfix) })
            {
                for (var round = 0; round < 3; round++)
                {
                    var sw = System.Diagnostics.Stopwatch.StartNew();
                    long records = 0;
                    while (sw.ElapsedMilliseconds < 1000) records += run();
                    System.Console.WriteLine($"{name}: {sw.Elapsed.TotalNanoseconds / records:F1} ns/record");
                }
            }

            return;
        }

        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}

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

        if (args is ["detection-loop", ..])
        {
            // A quick in-process figure (and a steady loop to profile with dotnet-trace): replays the
            // WorkloadDetectionBenchmarks trace, everything on and without the recon additions, in turns.
            var bench = new WorkloadDetectionBenchmarks();
            bench.Setup();
            var seconds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
            var only = args.Length > 2 ? args[2] : null;
            foreach (var (name, run) in new (string, Func<int>)[] { ("all", bench.AllDetectors), ("sweep-only", bench.WithoutRecon), ("all", bench.AllDetectors), ("sweep-only", bench.WithoutRecon) })
            {
                if (only is not null && name != only) continue;
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var sw = System.Diagnostics.Stopwatch.StartNew();
                long events = 0;
                while (sw.Elapsed.TotalSeconds < seconds)
                {
                    run();
                    events += WorkloadDetectionBenchmarks.EventsPerReplay;
                }

                System.Console.WriteLine($"{name}: {sw.Elapsed.TotalNanoseconds / events:F1} ns/event, {(double)(GC.GetAllocatedBytesForCurrentThread() - allocated) / events:F1} B/event");
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

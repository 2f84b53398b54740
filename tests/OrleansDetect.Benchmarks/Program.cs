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

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

        if (args is ["alert-path", ..])
        {
            await AlertPath.Run(args);
            return;
        }

        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}

namespace OrleansDetect.Benchmarks;

public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["baseline-memory", ..])
        {
            BaselineMemory.Run();
            return;
        }

        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}

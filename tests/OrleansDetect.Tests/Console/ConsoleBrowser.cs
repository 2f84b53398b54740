namespace OrleansDetect.Tests.Console;

/// <summary>Placeholder until the browser tests land.</summary>
public sealed class ConsoleBrowser(Uri baseAddress) : IDisposable
{
    public Uri BaseAddress { get; } = baseAddress;

    public void Dispose()
    {
    }
}

using OrleansDetect.Client;

namespace OrleansDetect.Tests.Client;

/// <summary>Runs the <c>orleansdetect</c> command line in-process and captures what it prints.</summary>
internal static class ClientCli
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await ClientCommandLine.Create(output, error).Parse(args).InvokeAsync();
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>A valid event line whose source port tells lines apart.</summary>
    public static string EventLine(int n) =>
        $$"""{"ts":"2026-11-28T04:47:57.123Z","host":"web-1","src":"10.1.2.3","sport":{{10000 + n}},"dst":"198.51.100.7","dport":22,"proto":"tcp","state":"attempted","bytes":60,"packets":1}""";
}

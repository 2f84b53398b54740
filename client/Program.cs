using System.CommandLine;
using OrleansDetect.Client;
using Spectre.Console;

// A live progress display only where someone watches it: not in a pipe, a file or a CI log.
var terminal = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb" ? AnsiConsole.Console : null;
var parseResult = ClientCommandLine.Create(Console.Out, Console.Error, terminal).Parse(args);
using var telemetry = ClientTelemetry.Start();

// Ctrl+C cancels the command's token instead of ending the process, so `load` still prints its summary;
// a second Ctrl+C ends the process as usual.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (interrupt.IsCancellationRequested) return;
    e.Cancel = true;
    interrupt.Cancel();
};

var exitCode = await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, interrupt.Token);

// A usage error is not "some lines were rejected" (1): report it as a failure to run at all.
return parseResult.Errors.Count > 0 ? ClientCommandLine.ExitUsage : exitCode;

using OrleansDetect.Client;

var parseResult = ClientCommandLine.Create(Console.Out, Console.Error).Parse(args);
var exitCode = await parseResult.InvokeAsync();

// A usage error is not "some lines were rejected" (1): report it as a failure to run at all.
return parseResult.Errors.Count > 0 ? ClientCommandLine.ExitUsage : exitCode;

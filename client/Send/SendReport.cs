using System.Globalization;
using Spectre.Console;

namespace OrleansDetect.Client.Send;

/// <summary>
/// How <c>send</c> shows what it is doing: a live progress bar on a terminal (<see cref="TerminalSendReport"/>), plain
/// lines for logs and pipes (<see cref="PlainSendReport"/>). Both print every rejected line and the summary.
/// </summary>
internal abstract class SendReport
{
    /// <summary>Runs the whole send inside the report (the terminal's live display lasts as long as it).</summary>
    public abstract Task<int> RunAsync(Func<Task<int>> send);

    /// <summary>A batch's own line; <paramref name="notable"/> when it rejected or dropped something.</summary>
    public abstract void Batch(string line, bool notable);

    /// <summary>A line always shown: a rejected line's error, the summary.</summary>
    public abstract void Line(string line);

    /// <summary>Called after every batch.</summary>
    public abstract void Progress(SendProgress progress);

    /// <summary>The last call: the send is over at <paramref name="progress"/>, the whole source read or (<paramref name="complete"/> false) stopped.</summary>
    public abstract void Finish(SendProgress progress, bool complete);
}

/// <summary>For logs and pipes: every batch's line, and a progress line at most every <c>interval</c>.</summary>
internal sealed class PlainSendReport(TextWriter output, TimeSpan interval) : SendReport
{
    private TimeSpan? _lastShown;

    public override Task<int> RunAsync(Func<Task<int>> send) => send();

    public override void Batch(string line, bool notable) => output.WriteLine(line);

    public override void Line(string line) => output.WriteLine(line);

    public override void Progress(SendProgress progress)
    {
        if (_lastShown is { } last && progress.Elapsed - last < interval) return;
        _lastShown = progress.Elapsed;
        output.WriteLine($"progress: {progress.Describe()}");
    }

    public override void Finish(SendProgress progress, bool complete)
    {
    }
}

/// <summary>
/// On a terminal: a Spectre.Console progress bar (lines, events/s, percentage of the file, time left) in place of a line
/// per batch; batches that rejected lines, and every rejected line, are still printed above it.
/// </summary>
internal sealed class TerminalSendReport(IAnsiConsole console, string sourceName) : SendReport
{
    // The bar shares a line with the description: the file's name, not its whole path.
    private readonly string _name = Path.GetFileName(sourceName) is { Length: > 0 } name ? name : sourceName;

    private ProgressTask? _task;
    private ProgressContext? _context;

    public override async Task<int> RunAsync(Func<Task<int>> send)
    {
        var progress = console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new SpinnerColumn());
        return await progress.StartAsync(async context =>
        {
            _context = context;
            _task = context.AddTask(Markup.Escape(_name), maxValue: 1);
            return await send();
        });
    }

    public override void Batch(string line, bool notable)
    {
        if (notable) Line(line);
    }

    public override void Line(string line) => console.WriteLine(line);

    public override void Progress(SendProgress progress)
    {
        if (_task is null) return;
        _task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{_name}: {progress.Lines} lines, {progress.EventsPerSecond:F0} events/s"));
        if (progress.Fraction is { } fraction)
        {
            _task.Value = fraction;
        }
        else
        {
            _task.IsIndeterminate = true;
        }

        _context?.Refresh();
    }

    public override void Finish(SendProgress progress, bool complete)
    {
        if (_task is null) return;
        Progress(progress);
        _task.IsIndeterminate = false;
        if (complete) _task.Value = 1;
        _task.StopTask();
        _context?.Refresh();
    }
}

using CartRecovery.Model.Boosting;
using Spectre.Console;

namespace CartRecovery.Model.Cli;

/// <summary>
/// Training progress on stderr (stdout carries the result). On an interactive terminal, a Spectre.Console task per
/// stage (preparing, training, exporting, validating) with its elapsed time; ML.NET reports no rounds, so a stage's
/// bar is indeterminate until it ends. Otherwise (CI, a file, a pipe) one plain line per stage and, while the learner
/// runs, a heartbeat line every five seconds: "[   1.2s] training   lightgbm: up to 300 rounds".
/// </summary>
internal static class TrainingProgressView
{
    /// <summary>Runs <paramref name="train"/> with a progress view on <paramref name="stderr"/>, live when that is an interactive terminal.</summary>
    public static T Run<T>(TextWriter stderr, Func<IProgress<TrainingProgress>, T> train)
    {
        if (ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            if (console.Profile.Capabilities.Interactive)
            {
                return RunLive(console, train);
            }
        }

        return train(new PlainLines(stderr));
    }

    /// <summary>The live view on <paramref name="console"/> (a test passes its own).</summary>
    internal static T RunLive<T>(IAnsiConsole console, Func<IProgress<TrainingProgress>, T> train)
    {
        // Descriptions are cut to what the terminal leaves beside the bar, elapsed time and spinner (and the gaps
        // between them), so a long message never squeezes the bar out of an 80-column terminal.
        const int BarWidth = 24;
        var descriptionWidth = Math.Max(20, console.Profile.Width - BarWidth - 8 - 1 - 8);
        LiveTasks? view = null;
        var result = console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = BarWidth }, new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(context => train(view = new LiveTasks(context, descriptionWidth)));
        if (view?.Summary is { } done)
        {
            console.WriteLine(Line(done));
        }

        return result;
    }

    private static string Line(TrainingProgress p) =>
        $"[{p.Elapsed.TotalSeconds,6:F1}s] {p.Stage.ToString().ToLowerInvariant(),-10} {p.Message}";

    /// <summary>A task per stage: the current one spins, the ones before it are full; the Done report is kept for after the display.</summary>
    private sealed class LiveTasks(ProgressContext context, int width) : IProgress<TrainingProgress>
    {
        private readonly Lock _gate = new();
        private ProgressTask? _current;
        private TrainingStage _stage;

        public TrainingProgress? Summary { get; private set; }

        public void Report(TrainingProgress p)
        {
            lock (_gate)
            {
                if (p.Heartbeat)
                {
                    return; // the spinner and the elapsed column already show the learner at work
                }

                if (_current is not null && p.Stage != _stage)
                {
                    _current.IsIndeterminate = false;
                    _current.Value = _current.MaxValue;
                    _current.StopTask();
                    _current = null;
                }

                if (p.Stage == TrainingStage.Done)
                {
                    Summary = p;
                    return;
                }

                var text = $"{p.Stage.ToString().ToLowerInvariant(),-10} {p.Message}";
                var description = Markup.Escape(text.Length <= width ? text : text[..(width - 1)] + "…");
                _current ??= context.AddTask(description, maxValue: 1);
                _current.IsIndeterminate = true;
                _current.Description = description;
                _stage = p.Stage;
            }
        }
    }

    /// <summary>One line per report; heartbeats at most every five seconds, so a log file does not fill with them.</summary>
    private sealed class PlainLines(TextWriter stderr) : IProgress<TrainingProgress>
    {
        private static readonly TimeSpan LogHeartbeat = TimeSpan.FromSeconds(5);

        private readonly Lock _gate = new();
        private TimeSpan _lastLine;

        public void Report(TrainingProgress p)
        {
            lock (_gate)
            {
                if (p.Heartbeat && p.Elapsed - _lastLine < LogHeartbeat)
                {
                    return;
                }

                stderr.WriteLine(Line(p));
                _lastLine = p.Elapsed;
            }
        }
    }
}

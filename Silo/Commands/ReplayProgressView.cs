using CartRecovery.Grains.Replay;
using Spectre.Console;

namespace CartRecovery.Silo.Commands;

/// <summary>
/// Replay progress on stderr (stdout carries the report): a Spectre.Console bar on an interactive terminal,
/// otherwise one plain line per tenth of the log, which reads well in CI logs and files.
/// </summary>
internal static class ReplayProgressView
{
    public static async Task<ReplayResult> RunAsync(Func<IProgress<ReplayProgress>, Task<ReplayResult>> replay)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsErrorRedirected || !console.Profile.Capabilities.Interactive)
        {
            var lastTenth = -1;
            return await replay(new SyncProgress<ReplayProgress>(p =>
            {
                var tenth = (int)(10L * p.Applied / Math.Max(p.Total, 1));
                if (tenth > lastTenth)
                {
                    lastTenth = tenth;
                    Console.Error.WriteLine($"replay {p.Applied * 100L / Math.Max(p.Total, 1),3}% {p.Applied:N0}/{p.Total:N0} events {p.EventsPerSecond:N0}/s");
                }
            }));
        }

        return await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("loading log");
                task.IsIndeterminate = true;
                return await replay(new SyncProgress<ReplayProgress>(p =>
                {
                    task.IsIndeterminate = false;
                    task.MaxValue = Math.Max(p.Total, 1);
                    task.Value = p.Applied;
                    task.Description = $"{p.Applied:N0}/{p.Total:N0} events, {p.EventsPerSecond:N0}/s";
                }));
            });
    }
}

/// <summary>Reports progress on the caller's thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

using CartRecovery.Model.Boosting;

namespace CartRecovery.Model.Cli;

/// <summary>
/// Draws training progress on stderr: one line per stage and, while the learner runs, a heartbeat that a terminal
/// sees updated in place and a log file gets every five seconds.
/// </summary>
internal sealed class ProgressView(TextWriter stderr, bool interactive) : IProgress<TrainingProgress>
{
    private static readonly TimeSpan LogHeartbeat = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private TimeSpan _lastLine;
    private bool _overwrite;

    public void Report(TrainingProgress p)
    {
        lock (_gate)
        {
            var line = $"[{p.Elapsed.TotalSeconds,6:F1}s] {Name(p.Stage),-10} {p.Message}";
            var heartbeat = p.Heartbeat;
            if (heartbeat && !interactive && p.Elapsed - _lastLine < LogHeartbeat)
            {
                return;
            }

            if (interactive && heartbeat)
            {
                stderr.Write("\r" + line);
                _overwrite = true;
                return;
            }

            if (_overwrite)
            {
                stderr.WriteLine();
                _overwrite = false;
            }

            stderr.WriteLine(line);
            _lastLine = p.Elapsed;
        }
    }

    private static string Name(TrainingStage s) => s.ToString().ToLowerInvariant();
}

using CartRecovery.Model.Boosting;
using CartRecovery.Model.Cli;
using Spectre.Console;

namespace CartRecovery.Model.Tests.Cli;

public sealed class TrainingProgressViewTests
{
    private static readonly TrainingProgress[] Run =
    [
        new(TrainingStage.Preparing, "900 training rows x 8 features", TimeSpan.FromSeconds(0.1)),
        new(TrainingStage.Training, "lightgbm: up to 60 rounds", TimeSpan.FromSeconds(0.2)),
        new(TrainingStage.Training, "running", TimeSpan.FromSeconds(1.2), Heartbeat: true),
        new(TrainingStage.Training, "running", TimeSpan.FromSeconds(6.2), Heartbeat: true),
        new(TrainingStage.Training, "running", TimeSpan.FromSeconds(7.2), Heartbeat: true),
        new(TrainingStage.Training, "42 trees in 7.50 s", TimeSpan.FromSeconds(7.7)),
        new(TrainingStage.Exporting, "writing the ensemble as ONNX", TimeSpan.FromSeconds(7.8)),
        new(TrainingStage.Validating, "scoring 100 validation rows", TimeSpan.FromSeconds(8.0)),
        new(TrainingStage.Done, "validation AUC 0.8123, log loss 0.4000", TimeSpan.FromSeconds(8.1)),
    ];

    [Fact]
    public void Without_a_terminal_each_stage_is_one_plain_line_and_heartbeats_come_every_five_seconds()
    {
        var stderr = new StringWriter();
        var result = TrainingProgressView.Run(stderr, progress => Replay(progress));
        Assert.Equal(42, result);
        Assert.Equal(
            [
                "[   0.1s] preparing  900 training rows x 8 features",
                "[   0.2s] training   lightgbm: up to 60 rounds",
                "[   6.2s] training   running",
                "[   7.7s] training   42 trees in 7.50 s",
                "[   7.8s] exporting  writing the ensemble as ONNX",
                "[   8.0s] validating scoring 100 validation rows",
                "[   8.1s] done       validation AUC 0.8123, log loss 0.4000",
            ],
            stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));
    }

    [Fact]
    public void On_a_terminal_each_stage_is_a_task_and_the_result_line_follows()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 120;
        Assert.Equal(42, TrainingProgressView.RunLive(console, progress => Replay(progress)));
        var text = output.ToString();
        Assert.Contains("preparing  900 training rows x 8 features", text);
        Assert.Contains("training   42 trees in 7.50 s", text);
        Assert.Contains("exporting  writing the ensemble as ONNX", text);
        Assert.Contains("validating scoring 100 validation rows", text);
        Assert.DoesNotContain("running", text);
        Assert.EndsWith("[   8.1s] done       validation AUC 0.8123, log loss 0.4000", text.TrimEnd());
    }

    [Fact]
    public void A_failure_during_the_live_view_reaches_the_caller()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.Yes, Interactive = InteractionSupport.Yes, Out = new AnsiConsoleOutput(new StringWriter()) });
        Assert.Throws<InvalidDataException>(() => TrainingProgressView.RunLive<int>(console, progress =>
        {
            progress.Report(Run[0]);
            throw new InvalidDataException("bad row");
        }));
    }

    private static int Replay(IProgress<TrainingProgress> progress)
    {
        foreach (var p in Run)
        {
            progress.Report(p);
        }

        return 42;
    }
}

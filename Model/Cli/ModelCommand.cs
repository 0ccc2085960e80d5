using CartRecovery.Model.Data;
using CartRecovery.Model.Scoring;

namespace CartRecovery.Model.Cli;

/// <summary>
/// Entry point of "model ..." on the command line: fit, score, eval and import-xgboost. Failures print one
/// line naming the file or field and the reason, return a non-zero code, and leave no partial output.
/// </summary>
public static class ModelCommand
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    private const string Help =
        "usage: model <command> [options]\n" +
        "  fit --csv FILE --label COLUMN --out MODEL [--seed N] [--rounds N] [--depth N] [--learning-rate X]\n" +
        "      [--validation-fraction X] [--early-stopping N] [--ignore COL1,COL2]\n" +
        "  score --model MODEL --csv FILE --out PREDICTIONS.csv\n" +
        "  eval --model MODEL --csv FILE --label COLUMN\n" +
        "  import-xgboost --json XGB_MODEL.json --out MODEL";

    /// <param name="args">Arguments after the word "model".</param>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(Help);
            return Task.FromResult(args.Length == 0 ? Usage : Ok);
        }

        var rest = args.AsSpan(1);
        try
        {
            var code = args[0] switch
            {
                "fit" => FitCommand.Run(CliArguments.Parse("fit", rest, FitCommand.Options), stdout, stderr, ct),
                "score" => ScoreCommand.Run(CliArguments.Parse("score", rest, ScoreCommand.Options), stdout),
                "eval" => EvalCommand.Run(CliArguments.Parse("eval", rest, EvalCommand.Options), stdout),
                "import-xgboost" => ImportCommand.Run(CliArguments.Parse("import-xgboost", rest, ImportCommand.Options), stdout),
                _ => throw new UsageException($"unknown command '{args[0]}' (fit, score, eval, import-xgboost)"),
            };
            return Task.FromResult(code);
        }
        catch (UsageException e)
        {
            stderr.WriteLine("error: " + e.Message);
            stderr.WriteLine(Help);
            return Task.FromResult(Usage);
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("error: cancelled");
            return Task.FromResult(130);
        }
        catch (Exception e) when (e is DataFormatException or ModelFormatException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine("error: " + OneLine(e.Message));
            return Task.FromResult(Failed);
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}

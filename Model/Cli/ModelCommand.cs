using System.Data.Common;
using CartRecovery.Model.Boosting;
using CartRecovery.Model.Data;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Cli;

/// <summary>
/// Entry point of "model ..." on the command line: fit, score, eval, import and import-xgboost, each with --help.
/// Failures print one line naming the file or field and the reason, return a non-zero code, and leave no
/// partial output. File paths are relative to the caller's working directory.
/// </summary>
public static class ModelCommand
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    private static readonly Dictionary<string, string> Commands = new(StringComparer.Ordinal)
    {
        ["fit"] = FitCommand.Usage,
        ["score"] = ScoreCommand.Usage,
        ["eval"] = EvalCommand.Usage,
        ["import"] = ImportOnnxCommand.Usage,
        ["import-xgboost"] = ImportXgboostCommand.Usage,
    };

    private static string Help =>
        "usage: model <command> [options]   (model <command> --help for one command)\n\n" + string.Join("\n\n", Commands.Values);

    /// <param name="args">Arguments after the word "model".</param>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct) =>
        RunAsync(args, stdout, stderr, null, ct);

    /// <param name="args">Arguments after the word "model".</param>
    /// <param name="servingFeatures">
    /// The silo's feature vector names (FeatureSet.Names): a model registered by import must take a subset of them,
    /// and a foreign ONNX file that names none is taken to take exactly them. Null skips that check.
    /// </param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, IReadOnlyList<string>? servingFeatures, CancellationToken ct)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(Help);
            return args.Length == 0 ? Usage : Ok;
        }

        if (Commands.TryGetValue(args[0], out var usage) && args.Skip(1).Any(a => a is "--help" or "-h"))
        {
            stdout.WriteLine("usage: " + usage);
            return Ok;
        }

        var rest = args.AsSpan(1);
        try
        {
            var interactive = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
            return args[0] switch
            {
                "fit" => FitCommand.Run(CliArguments.Parse("fit", rest, FitCommand.Options), stdout, stderr, interactive, ct),
                "score" => ScoreCommand.Run(CliArguments.Parse("score", rest, ScoreCommand.Options), stdout),
                "eval" => EvalCommand.Run(CliArguments.Parse("eval", rest, EvalCommand.Options), stdout),
                "import" => await ImportOnnxCommand.RunAsync(
                    CliArguments.Parse("import", rest, ImportOnnxCommand.Options, ImportTarget.Flags), servingFeatures, stdout, ct),
                "import-xgboost" => await ImportXgboostCommand.RunAsync(
                    CliArguments.Parse("import-xgboost", rest, ImportXgboostCommand.Options, ImportTarget.Flags), servingFeatures, stdout, ct),
                _ => throw new UsageException($"unknown command '{args[0]}' ({string.Join(", ", Commands.Keys)})"),
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine("error: " + e.Message);
            stderr.WriteLine(Commands.TryGetValue(args[0], out var u) ? "usage: " + u : Help);
            return Usage;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("error: cancelled");
            return 130;
        }
        catch (Exception e) when (e is DataFormatException or ModelFormatException or InvalidOptionException or ArgumentException
            or IOException or UnauthorizedAccessException or DbException)
        {
            stderr.WriteLine("error: " + e.Message.ReplaceLineEndings(" "));
            return Failed;
        }
    }
}

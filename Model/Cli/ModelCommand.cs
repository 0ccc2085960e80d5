using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace CartRecovery.Model.Cli;

/// <summary>
/// "model ..." on the command line, parsed by System.CommandLine: fit, score, eval, import and import-xgboost,
/// each with --help. The silo adds <see cref="Create"/> to its own verbs; RunAsync runs it alone
/// (tests, tools). A wrong command line prints "error: model VERB: ..." lines and exits 2; a failure of the
/// command prints one line naming the file or field and the reason, exits 1, and leaves no partial output.
/// File paths are relative to the caller's working directory.
/// </summary>
public static class ModelCommand
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Cancelled = 130;

    private static readonly ParserConfiguration Parsing = new() { EnablePosixBundling = false, ResponseFileTokenReplacer = null };

    /// <summary>The "model" command and its verbs, to parse alone or to add to an executable's root command.</summary>
    /// <param name="servingFeatures">
    /// The silo's feature vector names (FeatureSet.Names): a model registered by import must take a subset of them,
    /// and a foreign ONNX file that names none is taken to take exactly them. Null skips that check.
    /// </param>
    public static Command Create(IReadOnlyList<string>? servingFeatures)
    {
        var model = new Command("model", "Train, score, evaluate and import models: fit | score | eval | import | import-xgboost (model VERB --help)")
        {
            FitCommand.Create(),
            ScoreCommand.Create(),
            EvalCommand.Create(),
            ImportOnnxCommand.Create(servingFeatures),
            ImportXgboostCommand.Create(servingFeatures),
        };
        var help = new Command("help", "Print help for model or for one of its verbs (model help fit)");
        var topic = new Argument<string[]>("verb") { Arity = ArgumentArity.ZeroOrMore, Description = "the verb to describe" };
        help.Add(topic);
        help.SetAction((result, ct) =>
        {
            // Parse again from the root the user typed into, with the path down to "model" (none when model is the root).
            var path = CommandPath(result.CommandResult).Reverse().Skip(1).SkipLast(1).Select(c => c.Name);
            var again = result.RootCommandResult.Command.Parse([.. path, .. result.GetValue(topic) ?? [], "--help"], result.Configuration);
            return again.InvokeAsync(result.InvocationConfiguration, ct);
        });
        model.Add(help);
        return model;
    }

    /// <param name="args">Arguments after the word "model".</param>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct) =>
        RunAsync(args, stdout, stderr, null, ct);

    /// <summary>Parses and runs "model ..." on its own, writing to the given streams (tests, tools).</summary>
    /// <param name="args">Arguments after the word "model".</param>
    /// <param name="servingFeatures">See <see cref="Create"/>.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, IReadOnlyList<string>? servingFeatures, CancellationToken ct)
    {
        var model = Create(servingFeatures);
        model.Add(new HelpOption()); // a RootCommand adds its own; "model" is the root here
        var result = model.Parse(args, Parsing);
        if (result.Action is ParseErrorAction)
        {
            WriteUsageErrors(result, stderr, includeRoot: true);
            return Usage;
        }

        // The caller owns Ctrl+C through ct; exceptions are handled by each verb (see Run).
        return await result.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = null }, ct);
    }

    /// <summary>
    /// "error: PATH: reason" per parse error, then "see: PATH --help". PATH names the commands from the root down
    /// (without the root itself unless <paramref name="includeRoot"/>: an executable's name is not a command).
    /// </summary>
    public static void WriteUsageErrors(ParseResult result, TextWriter stderr, bool includeRoot)
    {
        var commands = CommandPath(result.CommandResult).Reverse().Skip(includeRoot ? 0 : 1).Select(c => c.Name).ToList();
        var path = string.Join(' ', commands);
        var prefix = path.Length > 0 ? path + ": " : "";
        foreach (var error in result.Errors)
        {
            stderr.WriteLine($"error: {prefix}{error.Message.TrimEnd('.')}");
        }

        var root = includeRoot ? "" : result.RootCommandResult.Command.Name + " ";
        stderr.WriteLine($"see: {root}{path}{(path.Length > 0 ? " " : "")}--help");
    }

    /// <summary>
    /// A verb's action: its output goes to the invocation's writers, and the failures a user can cause (bad data,
    /// a bad model file, an unreachable registry) print one "error:" line and exit 1 instead of a stack trace.
    /// </summary>
    internal static Func<ParseResult, CancellationToken, Task<int>> Run(Func<ParseResult, TextWriter, TextWriter, CancellationToken, Task<int>> verb) =>
        async (result, ct) =>
        {
            var stdout = result.InvocationConfiguration.Output;
            var stderr = result.InvocationConfiguration.Error;
            try
            {
                return await verb(result, stdout, stderr, ct);
            }
            catch (OperationCanceledException)
            {
                await stderr.WriteLineAsync("error: cancelled");
                return Cancelled;
            }
            catch (Exception e) when (e is Data.DataFormatException or Onnx.ModelFormatException or ArgumentException
                or IOException or UnauthorizedAccessException or System.Data.Common.DbException)
            {
                await stderr.WriteLineAsync("error: " + e.Message.ReplaceLineEndings(" "));
                return Failed;
            }
        };

    /// <summary>The command and its parents, innermost first.</summary>
    private static IEnumerable<Command> CommandPath(CommandResult? command)
    {
        for (; command is not null; command = command.Parent as CommandResult)
        {
            yield return command.Command;
        }
    }
}

using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using CartRecovery.Grains.Scoring;
using CartRecovery.Model.Cli;

namespace CartRecovery.Silo.Commands;

/// <summary>
/// model ...: everything after the word goes, as typed, to the model tools' own parser (Model/Cli),
/// which prints its usage for --help and for each of its commands.
/// </summary>
internal static class ModelCommandLine
{
    public static Command Create()
    {
        var command = new Command("model", "Train, score, evaluate and import models: fit | score | eval | import | import-xgboost (model --help)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction((result, ct) => RunAsync(result, ct));
        return command;
    }

    private static Task<int> RunAsync(ParseResult result, CancellationToken ct)
    {
        // Tokens[0] is "model" itself (the verb always comes first: see SiloCommandLine).
        var args = result.Tokens.Skip(1).Select(t => t.Value).ToArray();
        return ModelCommand.RunAsync(args, Console.Out, Console.Error, FeatureSet.Names, ct);
    }

    /// <summary>The executable's --help, except under model, whose parser knows its own options.</summary>
    internal sealed class DelegatingHelpAction(HelpAction help) : AsynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override Task<int> InvokeAsync(ParseResult result, CancellationToken cancellationToken = default) =>
            result.CommandResult.Command.Name == "model"
                ? RunAsync(result, cancellationToken)
                : Task.FromResult(help.Invoke(result));
    }
}

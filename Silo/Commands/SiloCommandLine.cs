using System.CommandLine;
using System.CommandLine.Invocation;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Grains.Scoring;
using CartRecovery.Model.Cli;
using CartRecovery.Silo.Commands;

namespace CartRecovery.Silo;

/// <summary>
/// The executable's verbs, parsed by System.CommandLine. No verb runs the server; the others are tools:
/// migrate, healthcheck, replay, model, help (see docs/cli.md). Every verb answers --help.
/// </summary>
public static class SiloCommandLine
{
    /// <summary>Exit code of a wrong command line (1 is a failure of the command itself).</summary>
    public const int UsageError = 2;

    private static readonly string[] HelpAliases = ["--help", "-h", "-?"];

    public static async Task<int> RunAsync(string[] args)
    {
        // Without a verb every argument is the server's ASP.NET Core configuration (--urls URL,
        // --environment NAME, --Section:Key=value); they never reach the parser, so a setting's
        // value cannot be taken for a verb and the server sees exactly what it was given.
        if (args.Length == 0 || (args[0].StartsWith('-') && !HelpAliases.Contains(args[0])))
        {
            return await RunServerAsync(args);
        }

        var root = Build();
        var result = root.Parse(args, new ParserConfiguration { EnablePosixBundling = false, ResponseFileTokenReplacer = null });
        if (result.Action is ParseErrorAction)
        {
            return await UsageAsync(result);
        }

        return await result.InvokeAsync();
    }

    private static Task<int> UsageAsync(ParseResult result)
    {
        // "error: model fit: --rounds 'many' is not an integer", then "see: CartRecovery.Silo model fit --help".
        ModelCommand.WriteUsageErrors(result, Console.Error, includeRoot: false);
        return Task.FromResult(UsageError);
    }

    internal static RootCommand Build()
    {
        var root = new RootCommand("""
            Runs the cart-recovery server when no command is given (role from Silo:Role: both | silo | gateway),
            taking ASP.NET Core configuration arguments: --urls URL, --environment NAME, --Section:Key=value.
            """)
        {
            MigrateCommand.Create(),
            HealthcheckCommand.Create(),
            ReplayCommand.Create(),
            // The model tools (Model/Cli); a registered model must take the silo's feature vector.
            ModelCommand.Create(FeatureSet.Names),
        };
        // RunAsync runs the server itself when there is no verb; this makes the parser agree that no verb is valid.
        root.SetAction((result, _) => RunServerAsync([.. result.Tokens.Select(t => t.Value)]));
        var help = new Command("help", "Print help for the executable or for one command (help replay)");
        var topic = new Argument<string[]>("command") { Arity = ArgumentArity.ZeroOrMore, Description = "the command to describe" };
        help.Add(topic);
        help.SetAction((result, ct) => root.Parse([.. result.GetValue(topic) ?? [], "--help"]).InvokeAsync(cancellationToken: ct));
        root.Add(help);
        return root;
    }

    private static async Task<int> RunServerAsync(string[] args)
    {
        try
        {
            await SiloApp.Build(args).RunAsync();
            return 0;
        }
        catch (Exception e) when (OptionsProblems.Of(e) is { Count: > 0 } problems)
        {
            // One line per missing or invalid setting, no stack trace.
            foreach (var problem in problems)
            {
                await Console.Error.WriteLineAsync("configuration: " + problem);
            }

            return 1;
        }
    }
}

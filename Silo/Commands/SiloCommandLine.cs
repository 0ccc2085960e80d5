using CartRecovery.Silo.Commands;

namespace CartRecovery.Silo;

/// <summary>
/// The executable's verbs. No verb runs the server; the others are tools:
/// migrate, healthcheck, replay, model (see docs/cli.md).
/// </summary>
public static class SiloCommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        using var cts = new CancellationTokenSource();
        var verb = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : null;
        var rest = verb is null ? args : args[1..];
        if (verb is not null)
        {
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                cts.Cancel();
            };
        }

        switch (verb)
        {
            case null:
                try
                {
                    await SiloApp.Build(args).RunAsync();
                    return 0;
                }
                catch (Exception e) when (CartRecovery.Gateway.Hosting.OptionsProblems.Of(e) is { Count: > 0 } problems)
                {
                    // One line per missing or invalid setting, no stack trace.
                    foreach (var problem in problems)
                    {
                        await Console.Error.WriteLineAsync("configuration: " + problem);
                    }

                    return 1;
                }
            case "migrate":
                return await MigrateCommand.RunAsync(rest, cts.Token);
            case "healthcheck":
                return await HealthcheckCommand.RunAsync(rest, cts.Token);
            case "replay":
                return await ReplayCommand.RunAsync(rest, cts.Token);
            case "model":
                return await CartRecovery.Model.Cli.ModelCommand.RunAsync(rest, Console.Out, Console.Error, CartRecovery.Grains.Scoring.FeatureSet.Names, cts.Token);
            case "help" or "--help" or "-h":
                Console.WriteLine(Usage);
                return 0;
            default:
                await Console.Error.WriteLineAsync($"error: unknown command '{verb}'\n{Usage}");
                return 2;
        }
    }

    public const string Usage = """
        usage: CartRecovery.Silo [command] [options] [--Section:Key=value ...]
          (no command)   run the server (role from Silo:Role: both | silo | gateway)
          migrate        create or migrate the database schema and exit
          healthcheck    exit 0 when /health/live answers on this machine
          replay         replay a storefront log: --input FILE [--scale N] [--seed N] [--json]
          model          fit | score | eval | import | import-xgboost (see `model help`)
        """;
}

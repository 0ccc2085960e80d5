using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Replay;

namespace CartRecovery.Silo.Commands;

/// <summary>replay --input FILE [--scale N] [--seed N] [--json] [--Policy:Key=value ...]</summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "storefront log: REES46 or Retailrocket CSV, plain or .gz (relative to the working directory)", Required = true };
        input.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } path && !File.Exists(path))
            {
                r.AddError($"--input must name an existing file ('{path}' not found)");
            }
        });
        var scale = new Option<int>("--scale") { Description = "replay the log N times under fresh ids", DefaultValueFactory = _ => 1 };
        scale.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--scale must be at least 1");
            }
        });
        var seed = new Option<int>("--seed") { Description = "seed of consent, control group and ids", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "print only the JSON report on stdout, no progress" };
        var command = new Command("replay", "Replay a storefront log through an in-process cluster and report recovery (docs/replay.md); policy settings as --Policy:Key=value")
        {
            input, scale, seed, json,
        };
        command.AcceptSettings();
        command.SetAction((result, ct) => RunAsync(
            new ReplayOptions { Input = result.GetRequiredValue(input), Scale = result.GetValue(scale), Seed = result.GetValue(seed), Settings = ToolConfiguration.Settings(result) },
            result.GetValue(json),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(ReplayOptions options, bool json, CancellationToken cancellationToken)
    {
        ReplayResult result;
        var stdout = Console.Out;
        try
        {
            // stdout carries only the report: the in-process cluster's console log goes to stderr while it runs.
            Console.SetOut(Console.Error);
            result = json
                ? await ReplayRunner.RunAsync(options, null, cancellationToken)
                : await ReplayProgressView.RunAsync(progress => ReplayRunner.RunAsync(options, progress, cancellationToken));
        }
        catch (InvalidDataException e)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }
        finally
        {
            Console.SetOut(stdout);
        }

        if (!json)
        {
            var r = result.Report;
            Console.WriteLine($"events replayed   {result.Events:N0} in {result.Elapsed.TotalSeconds:0.0} s ({result.EventsPerSecond:N0} events/s), {result.RemindersFired:N0} reminders fired");
            Console.WriteLine($"carts             created {r.CartsCreated:N0}, at risk {r.CartsAbandoned:N0}, nudged {r.CartsNudged:N0}, recovered {r.CartsRecovered:N0}, purchased directly {r.CartsPurchasedDirectly:N0}, expired {r.CartsExpired:N0}");
            Console.WriteLine($"recovery rate     treatment {r.Treatment.Rate:P1} of {r.Treatment.AtRisk:N0}, control {r.Control.Rate:P1} of {r.Control.AtRisk:N0}");
            Console.WriteLine($"uplift            {r.Uplift:+0.0%;-0.0%} (95% CI {r.UpliftCi95[0]:+0.0%;-0.0%} .. {r.UpliftCi95[1]:+0.0%;-0.0%})");
            Console.WriteLine($"recovered revenue {r.RecoveredRevenue.ToString("N2", CultureInfo.InvariantCulture)}");
        }

        Console.WriteLine(JsonSerializer.Serialize(result.Report, GrainsJsonContext.Default.RecoveryReport));
        return 0;
    }
}

using System.Globalization;
using System.Text.Json;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Replay;

namespace CartRecovery.Silo.Commands;

/// <summary>replay --input FILE [--scale N] [--seed N] [--json] [--Policy:Key=value ...]</summary>
internal static class ReplayCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        string? input = null;
        int scale = 1, seed = 1;
        var json = false;
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--input" when i + 1 < args.Length:
                    input = args[++i];
                    break;
                case "--scale" when i + 1 < args.Length && int.TryParse(args[i + 1], out var s) && s >= 1:
                    scale = s;
                    i++;
                    break;
                case "--seed" when i + 1 < args.Length && int.TryParse(args[i + 1], out var sd):
                    seed = sd;
                    i++;
                    break;
                case "--json":
                    json = true;
                    break;
                default:
                    if (args[i].StartsWith("--", StringComparison.Ordinal) && args[i].Contains('=') && args[i].Contains(':'))
                    {
                        var kv = args[i][2..].Split('=', 2);
                        settings[kv[0]] = kv[1];
                        break;
                    }

                    await Console.Error.WriteLineAsync($"error: replay: unexpected argument '{args[i]}' (--input FILE [--scale N>=1] [--seed N] [--json])");
                    return 2;
            }
        }

        if (input is null || !File.Exists(input))
        {
            await Console.Error.WriteLineAsync($"error: replay: --input must name an existing file{(input is null ? "" : $" ('{input}' not found)")}");
            return 2;
        }

        var progress = new SyncProgress<ReplayProgress>(p => DrawBar(p));
        try
        {
            var result = await ReplayRunner.RunAsync(new ReplayOptions { Input = input, Scale = scale, Seed = seed, Settings = settings }, progress, cancellationToken);
            Console.Error.WriteLine();
            var report = JsonSerializer.Serialize(result.Report, GrainsJsonContext.Default.RecoveryReport);
            if (json)
            {
                Console.WriteLine(report);
            }
            else
            {
                var r = result.Report;
                Console.WriteLine($"events replayed   {result.Events:N0} in {result.Elapsed.TotalSeconds:0.0} s ({result.EventsPerSecond:N0} events/s), {result.RemindersFired:N0} reminders fired");
                Console.WriteLine($"carts             created {r.CartsCreated:N0}, at risk {r.CartsAbandoned:N0}, nudged {r.CartsNudged:N0}, recovered {r.CartsRecovered:N0}, purchased directly {r.CartsPurchasedDirectly:N0}, expired {r.CartsExpired:N0}");
                Console.WriteLine($"recovery rate     treatment {r.Treatment.Rate:P1} of {r.Treatment.AtRisk:N0}, control {r.Control.Rate:P1} of {r.Control.AtRisk:N0}");
                Console.WriteLine($"uplift            {r.Uplift:+0.0%;-0.0%} (95% CI {r.UpliftCi95[0]:+0.0%;-0.0%} .. {r.UpliftCi95[1]:+0.0%;-0.0%})");
                Console.WriteLine($"recovered revenue {r.RecoveredRevenue.ToString("N2", CultureInfo.InvariantCulture)}");
                Console.WriteLine(report);
            }

            return 0;
        }
        catch (InvalidDataException e)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }
    }

    private static void DrawBar(ReplayProgress p)
    {
        const int width = 30;
        var done = (int)((double)p.Applied / p.Total * width);
        Console.Error.Write($"\r[{new string('#', done)}{new string('.', width - done)}] {p.Applied * 100 / p.Total,3}% {p.Applied:N0}/{p.Total:N0} events {p.EventsPerSecond:N0}/s   ");
    }
}

/// <summary>Reports progress on the caller's thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

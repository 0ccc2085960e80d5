using System.Reflection;

namespace CartRecovery.Bench.Infrastructure;

internal static class ScenarioRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        var scenarios = typeof(ScenarioRunner).Assembly.GetTypes()
            .Where(t => typeof(IScenario).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IScenario)Activator.CreateInstance(t)!)
            .OrderBy(s => s.Name)
            .ToList();
        if (args.Length == 0 || scenarios.All(s => s.Name != args[0]))
        {
            Console.Error.WriteLine("usage: bench <scenario> [options]");
            foreach (var s in scenarios)
            {
                Console.Error.WriteLine($"  {s.Name,-10} {s.Description}");
            }

            return 2;
        }

        var scenario = scenarios.Single(s => s.Name == args[0]);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        var result = await scenario.RunAsync(args[1..], cts.Token);
        Console.WriteLine(result.ToJson());
        return 0;
    }
}

namespace CartRecovery.Bench.Infrastructure;

/// <summary>A benchmark scenario, selected by name on the command line.</summary>
public interface IScenario
{
    string Name { get; }

    string Description { get; }

    /// <summary>Runs the scenario (including its in-run baseline) and returns the summary.</summary>
    Task<BenchResult> RunAsync(string[] args, CancellationToken cancellationToken);
}

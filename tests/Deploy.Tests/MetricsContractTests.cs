using System.Text.RegularExpressions;
using CartRecovery.Deploy.Tests.Support;

namespace CartRecovery.Deploy.Tests;

/// <summary>The metrics dashboards and alerts rely on are ones the application code defines.</summary>
public sealed partial class MetricsContractTests
{
    [Fact]
    public void EveryContractMetricIsDefinedInTheApplicationSources()
    {
        var literals = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in RepoPaths.ApplicationSourceFiles())
        {
            foreach (Match m in StringLiteralRegex().Matches(File.ReadAllText(file)))
            {
                literals.Add(m.Groups["s"].Value);
            }
        }

        // an exporter may add the _total suffix of a counter itself
        var missing = MetricContract.Names
            .Where(n => !literals.Contains(n) && !(n.EndsWith("_total", StringComparison.Ordinal) && literals.Contains(n[..^"_total".Length])))
            .ToArray();
        Assert.True(missing.Length == 0,
            "dashboards and alerts query metrics no application source defines (expected an instrument named like this in " +
            "Silo/Gateway/Runtime/Grains/Kafka): " + string.Join(", ", missing));
    }

    [GeneratedRegex(@"""(?<s>[a-z][a-z0-9_]*)""")]
    private static partial Regex StringLiteralRegex();
}

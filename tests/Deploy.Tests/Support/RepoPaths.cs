using CartRecovery.TestSupport;

namespace CartRecovery.Deploy.Tests.Support;

/// <summary>Where the deployment artefacts live in the repository.</summary>
internal static class RepoPaths
{
    public static string Root => SharedData.RepoRoot;

    public static string Chart => Path.Combine(Root, "charts", "cart-recovery");

    public static string ChartTemplates => Path.Combine(Chart, "templates");

    public static string ValuesFile => Path.Combine(Chart, "values.yaml");

    /// <summary>values-development.yaml, values-staging.yaml, values-production.yaml.</summary>
    public static IReadOnlyList<string> PresetFiles =>
        Directory.GetFiles(Chart, "values-*.yaml").OrderBy(f => f, StringComparer.Ordinal).ToArray();

    public static string Dockerfile => Path.Combine(Root, "Dockerfile");

    public static string DockerIgnore => Path.Combine(Root, ".dockerignore");

    public static string AlertRules => Path.Combine(Root, "deploy", "prometheus", "alerts.yml");

    public static string AlertRuleTests => Path.Combine(Root, "deploy", "prometheus", "alerts.test.yml");

    public static string Dashboard => Path.Combine(Root, "deploy", "grafana", "cart-recovery.json");

    public static string OperationsDoc => Path.Combine(Root, "docs", "operations.md");

    /// <summary>The application's source folders (not tests, tools or benchmarks).</summary>
    public static IEnumerable<string> ApplicationSourceFiles()
    {
        foreach (var dir in new[] { "Silo", "Gateway", "Grains", "Grains.Abstractions", "Runtime", "Kafka", "Model" })
        {
            var full = Path.Combine(Root, dir);
            if (!Directory.Exists(full))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(full, "*.cs", SearchOption.AllDirectories))
            {
                var rel = Path.GetRelativePath(full, file).Replace('\\', '/');
                if (!rel.StartsWith("bin/", StringComparison.Ordinal) && !rel.StartsWith("obj/", StringComparison.Ordinal))
                {
                    yield return file;
                }
            }
        }
    }
}

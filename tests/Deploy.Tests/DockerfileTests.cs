using System.Text.RegularExpressions;
using System.Xml.Linq;
using CartRecovery.Deploy.Tests.Support;

namespace CartRecovery.Deploy.Tests;

/// <summary>The Dockerfile and its build context, checked as text (no Docker engine here).</summary>
public sealed partial class DockerfileTests
{
    private static readonly string[] Instructions = ReadInstructions(RepoPaths.Dockerfile);

    [Fact]
    public void BuildsWithTheSdkAndRunsOnTheAspNetRuntime()
    {
        var froms = Instructions.Where(i => i.StartsWith("FROM ", StringComparison.Ordinal)).Select(ResolveArgs).ToArray();
        Assert.Contains(froms, f => f.Contains("mcr.microsoft.com/dotnet/sdk:10.0", StringComparison.Ordinal));
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0", froms[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void RestoresFromProjectFilesBeforeCopyingTheSources()
    {
        var build = Stage("build");
        var restore = Array.FindIndex(build, i => i.StartsWith("RUN dotnet restore", StringComparison.Ordinal));
        var copySources = Array.FindIndex(build, i => i == "COPY . .");
        var publish = Array.FindIndex(build, i => i.StartsWith("RUN dotnet publish", StringComparison.Ordinal));
        Assert.True(restore >= 0, "the build stage must run dotnet restore");
        Assert.True(copySources > restore, "restore must come before the sources are copied (layer caching)");
        Assert.True(publish > copySources);
        // before restore only project files and npm manifests are copied, so source edits keep those layers cached
        Assert.All(build[..restore].Where(i => i.StartsWith("COPY", StringComparison.Ordinal)), c =>
            Assert.True(c.Contains("--from=projects", StringComparison.Ordinal) || CopiesOnlyManifests(c), $"`{c}` comes before restore"));

        // the projects stage keeps exactly the files restore needs
        var projects = string.Join("\n", Stage("projects"));
        foreach (var kept in new[] { "*.csproj", "Directory.Build.props", "Directory.Packages.props", "nuget.config" })
        {
            Assert.Contains($"! -name '{kept}'", projects, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void PublishesTheSiloLikeTheTestsDo()
    {
        var publish = Stage("build").Single(i => i.StartsWith("RUN dotnet publish", StringComparison.Ordinal));
        Assert.Matches(PublishRegex(), publish);
    }

    [Fact]
    public void RuntimeStageIsNonRootReadOnlyFriendlyAndSelfChecking()
    {
        var runtime = Stage("runtime");
        var text = string.Join("\n", runtime);
        // librdkafka comes with the app (librdkafka.redist); LightGBM needs the OpenMP runtime.
        Assert.DoesNotContain("librdkafka1", text, StringComparison.Ordinal);
        Assert.Contains("libgomp1", text, StringComparison.Ordinal);

        var user = runtime.Single(i => i.StartsWith("USER ", StringComparison.Ordinal));
        var uid = ResolveArgs(user)["USER ".Length..].Split(':')[0];
        Assert.True(int.TryParse(uid, out var numeric) && numeric > 0, $"USER must be a numeric non-root uid (got {uid})");
        Assert.Equal(numeric, (int)Yaml.Int(HelmChart.Repository.Values, "podSecurityContext.runAsUser"));

        var expose = runtime.Single(i => i.StartsWith("EXPOSE ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
        var values = HelmChart.Repository.Values;
        Assert.Equal(new[] { Yaml.Scalar(values, "ports.http"), Yaml.Scalar(values, "cluster.siloPort"), Yaml.Scalar(values, "cluster.gatewayPort") }, expose);

        Assert.Contains("TMPDIR=/tmp", text, StringComparison.Ordinal);
        Assert.Contains("DOTNET_EnableDiagnostics=0", text, StringComparison.Ordinal);
        Assert.Matches(@"HEALTHCHECK .*CMD \[""dotnet"", ""[^""]*CartRecovery\.Silo\.dll"", ""healthcheck""\]", text);
        Assert.Matches(@"ENTRYPOINT \[""dotnet"", ""[^""]*CartRecovery\.Silo\.dll""\]", text);
    }

    [Fact]
    public void BuildContextLetsInEveryProjectTheSiloNeeds()
    {
        var ignore = File.ReadAllLines(RepoPaths.DockerIgnore).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        Assert.Equal("*", ignore[0]);
        foreach (var project in ProjectClosure(Path.Combine(RepoPaths.Root, "Silo", "Silo.csproj")))
        {
            var dir = Path.GetRelativePath(RepoPaths.Root, Path.GetDirectoryName(project)!).Replace('\\', '/');
            Assert.True(ignore.Contains($"!{dir}/") || ignore.Contains($"!{dir}"),
                $".dockerignore excludes {dir}/, which Silo references (add !{dir}/)");
        }

        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "nuget.config" })
        {
            Assert.Contains("!" + file, ignore);
        }

        Assert.Contains("**/bin/", ignore);
        Assert.Contains("**/obj/", ignore);
    }

    [Fact]
    public void GatewayBrowserAssetsAreBuiltFromTheLockFile()
    {
        var build = string.Join("\n", Stage("build"));
        Assert.Contains("npm ci", build, StringComparison.Ordinal);
        Assert.Contains("COPY Gateway/package.json Gateway/package-lock.json Gateway/", build, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "Gateway", "package-lock.json")), "Gateway/package-lock.json must be committed for `npm ci`");
        Assert.Contains("Gateway/wwwroot/lib/", File.ReadAllLines(RepoPaths.DockerIgnore));
    }

    private static bool CopiesOnlyManifests(string copy) =>
        copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1].All(src => src.EndsWith("package.json", StringComparison.Ordinal) || src.EndsWith("package-lock.json", StringComparison.Ordinal));

    /// <summary>Silo.csproj and every project it references, transitively.</summary>
    internal static IReadOnlyCollection<string> ProjectClosure(string root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>([Path.GetFullPath(root)]);
        while (queue.Count > 0)
        {
            var project = queue.Dequeue();
            if (!seen.Add(project))
            {
                continue;
            }

            foreach (var reference in XDocument.Load(project).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")?.Value.Replace('\\', '/');
                if (include is not null)
                {
                    queue.Enqueue(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, include)));
                }
            }
        }

        return seen;
    }

    private static string[] Stage(string name)
    {
        var start = Array.FindIndex(Instructions, i => i.StartsWith("FROM ", StringComparison.Ordinal) && i.EndsWith(" AS " + name, StringComparison.Ordinal));
        Assert.True(start >= 0, $"no stage named {name}");
        var end = Array.FindIndex(Instructions, start + 1, i => i.StartsWith("FROM ", StringComparison.Ordinal));
        return Instructions[start..(end < 0 ? Instructions.Length : end)];
    }

    private static string ResolveArgs(string instruction)
    {
        var args = Instructions.Where(i => i.StartsWith("ARG ", StringComparison.Ordinal) && i.Contains('='))
            .Select(i => i[4..].Split('=', 2))
            .GroupBy(kv => kv[0])
            .ToDictionary(g => g.Key, g => g.First()[1]);
        return ArgRefRegex().Replace(instruction, m => args.TryGetValue(m.Groups["name"].Value, out var v) ? v : m.Value);
    }

    /// <summary>Instructions with continuation lines joined and comments dropped.</summary>
    private static string[] ReadInstructions(string path)
    {
        var result = new List<string>();
        var current = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && current.Length == 0))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current += line[..^1].TrimEnd() + " ";
                continue;
            }

            current += line;
            if (current.Trim().Length > 0)
            {
                result.Add(WhitespaceRegex().Replace(current.Trim(), " "));
            }

            current = "";
        }

        return result.ToArray();
    }

    [GeneratedRegex(@"^RUN dotnet publish Silo(?:/Silo\.csproj)? -c Release -o /app\b")]
    private static partial Regex PublishRegex();

    [GeneratedRegex(@"\$\{?(?<name>[A-Za-z_][A-Za-z0-9_]*)\}?")]
    private static partial Regex ArgRefRegex();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRegex();
}

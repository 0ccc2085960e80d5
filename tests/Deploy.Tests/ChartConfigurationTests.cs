using CartRecovery.Deploy.Tests.Support;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace CartRecovery.Deploy.Tests;

/// <summary>
/// Every environment variable the chart sets must be a configuration key the application reads:
/// "Section__Property" binds to a class with <c>const string Section = "Section"</c> (or SectionName)
/// that has the property, and the value the chart passes must convert to the property's type.
/// </summary>
public sealed class ChartConfigurationTests(ITestOutputHelper output)
{
    private static readonly HelmChart Chart = HelmChart.Repository;

    private static readonly Lazy<ConfigurationKeys> Keys = new(ConfigurationKeys.FromOutputFolder);

    /// <summary>The contract's configuration (the lead's list); each must be set somewhere in the chart.</summary>
    private static readonly string[] ContractKeys =
    [
        "Silo__Role", "Http__Port", "Http__InternalPort",
        "Runtime__Partitions", "Runtime__SiloId", "Runtime__FlushInterval", "Runtime__OwnAllPartitions",
        "Storage__Provider", "Storage__ConnectionString",
        "Kafka__BootstrapServers", "Kafka__EventsTopic", "Kafka__NudgesTopic", "Kafka__DeadLetterTopic", "Kafka__ConsumerGroup",
        "Auth__SigningKey", "Auth__AdminUser", "Auth__AdminPassword", "Auth__ShopperTokenKey",
        "Webhook__Url", "Webhook__Secret", "Cors__AllowedOrigins__0", "ASPNETCORE_ENVIRONMENT",
    ];

    public static TheoryData<string> ValuesFiles() => ChartTests.ValuesFiles();

    [Fact]
    public void OptionsClassesAreFound()
    {
        var keys = Keys.Value;
        foreach (var s in keys.Sections)
        {
            output.WriteLine(s);
        }

        Assert.Empty(keys.LoadErrors);
        Assert.NotNull(keys.Resolve("Runtime__Partitions"));
        Assert.NotNull(keys.Resolve("Storage__Provider"));
        Assert.Null(keys.Resolve("Runtime__NoSuchSetting"));
    }

    [Fact]
    public void EveryEnvironmentVariableTheChartSetsIsReadByTheApplication()
    {
        var keys = Keys.Value;
        var unknown = new List<string>();
        foreach (var name in EnvNames())
        {
            if (ConfigurationKeys.IsHostKey(name))
            {
                continue;
            }

            if (keys.Resolve(name) is null)
            {
                unknown.Add(name);
            }
        }

        Assert.True(unknown.Count == 0,
            "the chart sets environment variables no options class binds (expected a class with `public const string Section` " +
            "and a matching property in a CartRecovery.* assembly):\n  " + string.Join("\n  ", unknown.Distinct()) +
            "\nknown sections:\n  " + string.Join("\n  ", keys.Sections));
    }

    [Fact]
    public void TheChartSetsEveryContractKey()
    {
        var names = EnvNames().ToHashSet(StringComparer.Ordinal);
        foreach (var key in ContractKeys)
        {
            var present = key.EndsWith("__0", StringComparison.Ordinal)
                ? names.Any(n => n.StartsWith(key[..^1], StringComparison.Ordinal))
                : names.Contains(key);
            Assert.True(present, $"the chart never sets {key}");
        }
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public void ValuesTheChartPassesConvertToTheOptionTypes(string file)
    {
        var values = ChartTests.Merged(file);
        var keys = Keys.Value;
        var problems = new List<string>();
        foreach (var (_, container, _) in ChartTests.Containers())
        {
            foreach (var env in ChartTests.EnvEntries(container))
            {
                var name = Yaml.Scalar(env, "name")!;
                var type = keys.Resolve(name);
                var path = Chart.Token(Yaml.Scalar(env, "value") ?? "")?.ValuesPath;
                if (type is null || path is null || Yaml.Find(values, path) is not YamlScalarNode { Value: { } value })
                {
                    continue;
                }

                if (!ConfigurationKeys.CanBind(type, value))
                {
                    problems.Add($"{name} = '{value}' (from .Values.{path}) does not convert to {type.Name}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems.Distinct()));
    }

    [Fact]
    public void RolesTheChartUsesAreRolesTheApplicationAccepts()
    {
        var type = Keys.Value.Resolve("Silo__Role");
        Assert.True(type is not null, "no options class binds Silo:Role");
        foreach (var role in new[] { "both", "silo", "gateway" })
        {
            Assert.True(ConfigurationKeys.CanBind(type!, role), $"Silo__Role={role} does not bind to {type!.Name}");
        }
    }

    private static IEnumerable<string> EnvNames() =>
        ChartTests.Containers()
            .SelectMany(c => ChartTests.EnvEntries(c.Container))
            .Select(e => Yaml.Scalar(e, "name")!)
            .Distinct(StringComparer.Ordinal);
}

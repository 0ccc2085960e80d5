using CartRecovery.Deploy.Tests.Support;
using CartRecovery.Silo;
using CartRecovery.Silo.Hosting;
using Microsoft.Extensions.Configuration;
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
        "Silo__Role", "Http__Port",
        "Cluster__Membership", "Cluster__RedisConnectionString", "Cluster__ServiceId", "Cluster__ClusterId",
        "Cluster__SiloPort", "Cluster__GatewayPort", "Cluster__AdvertisedAddress", "Cluster__Kubernetes",
        "Storage__Provider", "Storage__ConnectionString",
        "Kafka__BootstrapServers", "Kafka__EventsTopic", "Kafka__DeadLetterTopic", "Kafka__ConsumerGroup", "Kafka__Partitions",
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
        Assert.NotNull(keys.Resolve("Silo__Role"));
        Assert.NotNull(keys.Resolve("Storage__Provider"));
        Assert.Null(keys.Resolve("Storage__NoSuchSetting"));
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

    /// <summary>
    /// The cluster roles as the application's own validators see them: each cluster-mode preset's silo and gateway
    /// environment (secrets and downward-API fields given sample values) binds to <see cref="ClusterSettings"/> and
    /// <see cref="SiloOptions"/> with no problem, on Redis membership.
    /// </summary>
    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public void TheApplicationAcceptsTheClusterSettingsOfEachRole(string file)
    {
        var values = ChartTests.Merged(file);
        if (Yaml.Scalar(values, "mode") != "cluster")
        {
            return;
        }

        foreach (var (template, role) in new[] { ("silo-statefulset.yaml", "silo"), ("gateway-deployment.yaml", "gateway") })
        {
            var container = ChartTests.Containers().Single(c => c.Template == template && Yaml.Find(c.Container, "livenessProbe") is not null).Container;
            var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var env in ChartTests.EnvEntries(container))
            {
                var name = Yaml.Scalar(env, "name")!;
                if (Yaml.Scalar(env, "value") is { } raw)
                {
                    var token = Chart.Token(raw);
                    settings[name] = token is null ? raw : token.ValuesPath is { } path ? Yaml.Scalar(values, path) : null;
                }
                else if (Yaml.Scalar(env, "valueFrom.fieldRef.fieldPath") is { } field)
                {
                    settings[name] = field == "status.podIP" ? "10.1.2.3" : "pod";
                }
                else if (Yaml.Find(env, "valueFrom.secretKeyRef") is not null)
                {
                    settings[name] = name == "Cluster__RedisConnectionString" ? "redis:6379" : "secret";
                }
            }

            settings["Silo__Role"] ??= role; // the StatefulSet's role is a template variable (both in embedded mode)
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(settings.Select(kv => KeyValuePair.Create(kv.Key.Replace("__", ":", StringComparison.Ordinal), kv.Value)))
                .Build();
            var cluster = configuration.GetSection(ClusterSettings.Section).Get<ClusterSettings>() ?? new ClusterSettings();
            var silo = configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();

            Assert.Equal(role, silo.Role);
            Assert.True(cluster.UsesRedis, $"{file}: {template} does not use Redis membership");
            var problems = silo.Problems(cluster).Concat(cluster.Problems()).ToArray();
            Assert.True(problems.Length == 0, $"{file}: {template}: " + string.Join("; ", problems));
            if (role == "silo")
            {
                Assert.Equal("10.1.2.3", cluster.AdvertisedAddress);
                Assert.Equal(Yaml.Bool(values, "cluster.kubernetesHosting.enabled"), cluster.Kubernetes);
            }
        }
    }

    private static IEnumerable<string> EnvNames() =>
        ChartTests.Containers()
            .SelectMany(c => ChartTests.EnvEntries(c.Container))
            .Select(e => Yaml.Scalar(e, "name")!)
            .Distinct(StringComparer.Ordinal);
}

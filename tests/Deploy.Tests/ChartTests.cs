using System.Text.RegularExpressions;
using CartRecovery.Deploy.Tests.Support;
using Xunit.Abstractions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CartRecovery.Deploy.Tests;

/// <summary>
/// The Helm chart checked without Helm: YAML structure of every file, values paths, presets,
/// guards, probes, security settings, secrets. (helm lint / helm template | kubeconform run in the
/// user's pipeline, see docs/operations.md.)
/// </summary>
public sealed partial class ChartTests(ITestOutputHelper output)
{
    private static readonly HelmChart Chart = HelmChart.Repository;

    private static readonly string[] WorkloadKinds = ["Deployment", "StatefulSet", "Job"];

    public static TheoryData<string> ManifestTemplates()
    {
        var data = new TheoryData<string>();
        foreach (var name in Chart.ManifestTemplates)
        {
            data.Add(name);
        }

        return data;
    }

    public static TheoryData<string> ValuesFiles()
    {
        var data = new TheoryData<string> { "values.yaml" };
        foreach (var preset in RepoPaths.PresetFiles)
        {
            data.Add(Path.GetFileName(preset));
        }

        return data;
    }

    [Fact]
    public void ChartYamlDescribesAnApplicationChart()
    {
        var chart = Yaml.LoadMapping(Path.Combine(RepoPaths.Chart, "Chart.yaml"));
        Assert.Equal("v2", Yaml.Scalar(chart, "apiVersion"));
        Assert.Equal("cart-recovery", Yaml.Scalar(chart, "name"));
        Assert.Equal("application", Yaml.Scalar(chart, "type"));
        Assert.Matches(SemVerRegex(), Yaml.Scalar(chart, "version") ?? "");
        Assert.False(string.IsNullOrWhiteSpace(Yaml.Scalar(chart, "appVersion")), "appVersion is the default image tag");
    }

    [Fact]
    public void ThereAreThreeEnvironmentPresets()
    {
        var names = RepoPaths.PresetFiles.Select(f => Path.GetFileName(f)).ToArray();
        Assert.Equal<string>(["values-development.yaml", "values-production.yaml", "values-staging.yaml"], names);
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public void ValuesFileParses(string file)
    {
        var values = Yaml.LoadMapping(Path.Combine(RepoPaths.Chart, file));
        Assert.NotNull(values);
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public void EveryKeyAPresetSetsExistsInValuesYaml(string file)
    {
        var preset = Yaml.LoadMapping(Path.Combine(RepoPaths.Chart, file));
        var unknown = Yaml.Leaves(preset)
            .Select(l => l.Path)
            .Where(p => !ExistsOrUnderFreeForm(Chart.Values, p))
            .ToArray();
        Assert.True(unknown.Length == 0, $"{file} sets keys values.yaml does not declare (typos?): {string.Join(", ", unknown)}");
    }

    [Theory]
    [MemberData(nameof(ManifestTemplates))]
    public void TemplateIsWellFormedYamlOfKubernetesObjects(string template)
    {
        var expanded = Chart.Expand(template);
        IReadOnlyList<YamlMappingNode> docs;
        try
        {
            docs = Chart.Documents(template);
        }
        catch (YamlException e)
        {
            output.WriteLine(Numbered(expanded));
            throw new Xunit.Sdk.XunitException($"{template}: broken YAML structure at {e.Start}: {e.Message}");
        }

        Assert.NotEmpty(docs);
        foreach (var doc in docs)
        {
            Assert.False(string.IsNullOrEmpty(Yaml.Scalar(doc, "apiVersion")), $"{template}: a document without apiVersion");
            Assert.False(string.IsNullOrEmpty(Yaml.Scalar(doc, "kind")), $"{template}: a document without kind");
            Assert.NotNull(Yaml.Find(doc, "metadata.name"));
            Assert.NotNull(Yaml.Find(doc, "metadata.labels"));
        }
    }

    [Fact]
    public void EveryValuesPathATemplateUsesExists()
    {
        var missing = Chart.ReferencedValuesPaths()
            .Where(r => r.Path.Length > 0 && !Yaml.Exists(Chart.Values, r.Path) && !ExistsOrUnderFreeForm(Chart.Values, r.Path))
            .Select(r => $"{r.File}: .Values.{r.Path}")
            .Distinct()
            .ToArray();
        Assert.True(missing.Length == 0, "templates read values that values.yaml does not define:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void EveryValueInValuesYamlIsUsedByATemplate()
    {
        var used = Chart.ReferencedValuesPaths().Select(r => r.Path).ToHashSet(StringComparer.Ordinal);
        var unused = Yaml.Leaves(Chart.Values)
            .Select(l => l.Path)
            .Where(p => !used.Any(u => u == p || p.StartsWith(u + ".", StringComparison.Ordinal)))
            .ToArray();
        Assert.True(unused.Length == 0, "values.yaml declares settings no template reads: " + string.Join(", ", unused));
    }

    [Fact]
    public void SiloReplicasAreGuardedAgainstExceedingPartitions()
    {
        var text = Chart.Templates["silo-statefulset.yaml"];
        var guard = GuardRegex().Match(text);
        Assert.True(guard.Success, "silo-statefulset.yaml must `fail` when .Values.silo.replicas > .Values.runtime.partitions");

        var hpa = Chart.Templates["silo-hpa.yaml"];
        Assert.Matches(HpaGuardRegex(), hpa);
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public void PresetsRespectTheirOwnGuards(string file)
    {
        var values = Merged(file);
        var partitions = Yaml.Int(values, "runtime.partitions");
        Assert.InRange(Yaml.Int(values, "silo.replicas"), 1, partitions);
        if (Yaml.Bool(values, "silo.autoscaling.enabled"))
        {
            Assert.InRange(Yaml.Int(values, "silo.autoscaling.maxReplicas"), Yaml.Int(values, "silo.autoscaling.minReplicas"), partitions);
        }

        if (Yaml.Scalar(values, "mode") == "embedded")
        {
            Assert.Equal(1, Yaml.Int(values, "silo.replicas"));
        }
        else
        {
            Assert.Equal("postgres", Yaml.Scalar(values, "storage.provider")?.ToLowerInvariant());
        }

        Assert.Contains(Yaml.Scalar(values, "environment"), new[] { "Development", "Staging", "Production" });
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public void PodsRunRestrictedWithAWritableTmp(string file)
    {
        var values = Merged(file);
        Assert.True(Yaml.Bool(values, "podSecurityContext.runAsNonRoot"));
        Assert.True(Yaml.Int(values, "podSecurityContext.runAsUser") > 0);
        Assert.Equal("RuntimeDefault", Yaml.Scalar(values, "podSecurityContext.seccompProfile.type"));
        Assert.True(Yaml.Bool(values, "containerSecurityContext.runAsNonRoot"));
        Assert.True(Yaml.Bool(values, "containerSecurityContext.readOnlyRootFilesystem"));
        Assert.False(Yaml.Bool(values, "containerSecurityContext.allowPrivilegeEscalation"));
        Assert.False(Yaml.Bool(values, "containerSecurityContext.privileged"));
        var drop = Assert.IsType<YamlSequenceNode>(Yaml.Find(values, "containerSecurityContext.capabilities.drop"));
        Assert.Contains(drop.Children, c => ((YamlScalarNode)c).Value == "ALL");
        Assert.Null(Yaml.Find(values, "containerSecurityContext.capabilities.add"));
        Assert.Equal("RuntimeDefault", Yaml.Scalar(values, "containerSecurityContext.seccompProfile.type"));

        // a silo needs time to leave the consumer group, checkpoint and commit (up to ~30 s)
        Assert.True(Yaml.Int(values, "silo.terminationGracePeriodSeconds") >= 40, "silo.terminationGracePeriodSeconds must cover the ~30 s drain");
        Assert.True(Yaml.Int(values, "gateway.terminationGracePeriodSeconds") > Yaml.Int(values, "gateway.preStopSleepSeconds"));
    }

    [Fact]
    public void EveryContainerIsLockedDownAndMountsTmp()
    {
        foreach (var (template, container, pod) in Containers())
        {
            var name = $"{template}/{Yaml.Scalar(container, "name")}";
            Assert.True(Yaml.Find(pod, "securityContext") is YamlMappingNode { Children.Count: > 0 }, $"{name}: pod securityContext missing");
            var sc = Assert.IsType<YamlMappingNode>(Yaml.Find(container, "securityContext"));
            Assert.Equal("true", Yaml.Scalar(sc, "readOnlyRootFilesystem"));
            Assert.NotNull(Yaml.Find(container, "resources.requests.memory"));
            Assert.NotNull(Yaml.Find(container, "resources.limits.memory"));

            var mounts = Assert.IsType<YamlSequenceNode>(Yaml.Find(container, "volumeMounts"));
            Assert.Contains(mounts.Children.OfType<YamlMappingNode>(), m => Yaml.Scalar(m, "mountPath") == "/tmp");
            var volumes = Assert.IsType<YamlSequenceNode>(Yaml.Find(pod, "volumes"));
            Assert.Contains(volumes.Children.OfType<YamlMappingNode>(), v => Yaml.Scalar(v, "name") == "tmp" && Yaml.Find(v, "emptyDir") is not null);
            Assert.Equal("false", ResolveToken(Yaml.Scalar(pod, "automountServiceAccountToken") ?? ""));
        }
    }

    [Fact]
    public void ProbesHitTheHealthEndpointsOnADeclaredPublicPort()
    {
        var servers = Containers().Where(c => Yaml.Find(c.Container, "livenessProbe") is not null).ToArray();
        Assert.Contains(servers, c => c.Template == "gateway-deployment.yaml");
        Assert.Contains(servers, c => c.Template == "silo-statefulset.yaml");

        foreach (var (template, container, _) in servers)
        {
            var ports = DeclaredPorts(container);
            foreach (var (probe, path) in new[] { ("startupProbe", "/health/live"), ("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready") })
            {
                var get = Yaml.Find(container, probe + ".httpGet");
                Assert.True(get is YamlMappingNode, $"{template}: {probe} must be an httpGet probe");
                Assert.Equal(path, Yaml.Scalar(get!, "path"));
                var port = Yaml.Scalar(get!, "port") ?? "";
                Assert.True(ports.ContainsKey(port), $"{template}: {probe} port '{port}' is not a declared container port ({string.Join(", ", ports.Keys)})");

                // the port the probes use is the one the application listens on for /health (Http__Port)
                var httpPortValue = ports[port];
                var envPort = EnvValuePath(container, "Http__Port");
                Assert.Equal(envPort, httpPortValue);
            }
        }
    }

    [Fact]
    public void SilosDeclareTheInternalPortAndTheHeadlessServiceExposesIt()
    {
        var silo = Containers().Single(c => c.Template == "silo-statefulset.yaml" && Yaml.Scalar(c.Container, "name") == "silo").Container;
        var ports = DeclaredPorts(silo);
        Assert.True(ports.ContainsKey("internal"));
        Assert.Equal(EnvValuePath(silo, "Http__InternalPort"), ports["internal"]);

        var service = Chart.Documents("silo-service.yaml").Single();
        Assert.Equal("None", Yaml.Scalar(service, "spec.clusterIP"));
        var servicePorts = Assert.IsType<YamlSequenceNode>(Yaml.Find(service, "spec.ports")).Children.OfType<YamlMappingNode>().ToArray();
        Assert.Contains(servicePorts, p => Yaml.Scalar(p, "targetPort") == "internal");
        Assert.Contains(servicePorts, p => Yaml.Scalar(p, "targetPort") == "http");

        var statefulSet = Chart.Documents("silo-statefulset.yaml").Single();
        Assert.Equal(Chart.Token(Yaml.Scalar(service, "metadata.name")!)?.Expression, Chart.Token(Yaml.Scalar(statefulSet, "spec.serviceName")!)?.Expression);
    }

    [Fact]
    public void ProbePathsAreServedByTheApplication()
    {
        var sources = string.Join("\n", RepoPaths.ApplicationSourceFiles().Select(File.ReadAllText));
        foreach (var path in new[] { "/health/live", "/health/ready", "/metrics" })
        {
            Assert.True(sources.Contains('"' + path + '"', StringComparison.Ordinal),
                $"the chart probes/scrapes {path}, but no application source file maps it (expected a \"{path}\" route in Silo/Gateway/Runtime)");
        }
    }

    [Fact]
    public void EachWorkloadSetsItsRole()
    {
        Assert.Equal("gateway", RoleOf("gateway-deployment.yaml"));
        Assert.Equal("$role", RoleOf("silo-statefulset.yaml"));
        Assert.Matches(RoleTernaryRegex(), Chart.Templates["silo-statefulset.yaml"]);

        static string RoleOf(string template)
        {
            var m = RoleArgRegex().Match(Chart.Templates[template]);
            Assert.True(m.Success, $"{template} does not include cart-recovery.env with a role");
            return m.Groups["role"].Value.Trim('"');
        }
    }

    [Fact]
    public void MigrationsRunAsAPreInstallAndPreUpgradeHook()
    {
        var job = Chart.Documents("migrate-job.yaml").Single();
        Assert.Equal("Job", Yaml.Scalar(job, "kind"));
        var hook = Child(Assert.IsType<YamlMappingNode>(Yaml.Find(job, "metadata.annotations")), "helm.sh/hook") ?? "";
        Assert.Contains("pre-install", hook);
        Assert.Contains("pre-upgrade", hook);
        var container = Assert.IsType<YamlMappingNode>(Assert.IsType<YamlSequenceNode>(Yaml.Find(job, "spec.template.spec.containers")).Children.Single());
        var args = Assert.IsType<YamlSequenceNode>(Yaml.Find(container, "args"));
        Assert.Equal("migrate", ((YamlScalarNode)args.Children.Single()).Value);
        Assert.Equal("Never", Yaml.Scalar(job, "spec.template.spec.restartPolicy"));

        // embedded mode migrates in an init container next to its volume
        var statefulSet = Chart.Documents("silo-statefulset.yaml").Single();
        var init = Assert.IsType<YamlSequenceNode>(Yaml.Find(statefulSet, "spec.template.spec.initContainers"));
        Assert.Contains(init.Children.OfType<YamlMappingNode>(), c => Yaml.Find(c, "args") is YamlSequenceNode a && a.Children.Any(x => ((YamlScalarNode)x).Value == "migrate"));
    }

    [Fact]
    public void AutoscalersUseTheAgreedMetrics()
    {
        var gateway = Chart.Documents("gateway-hpa.yaml").Single();
        var gatewayMetrics = MetricsOf(gateway);
        Assert.Contains("Resource:cpu", gatewayMetrics);
        Assert.Contains("Pods:signalr_connections", gatewayMetrics);
        Assert.Equal("Deployment", Yaml.Scalar(gateway, "spec.scaleTargetRef.kind"));

        var silo = Chart.Documents("silo-hpa.yaml").Single();
        var siloMetrics = MetricsOf(silo);
        Assert.Contains("Resource:cpu", siloMetrics);
        Assert.Contains("External:kafka_consumer_lag", siloMetrics);
        Assert.Equal("kafka_consumer_lag", Yaml.Scalar(Chart.Values, "silo.autoscaling.consumerLag.metricName"));
        Assert.Equal("StatefulSet", Yaml.Scalar(silo, "spec.scaleTargetRef.kind"));

        static string[] MetricsOf(YamlMappingNode hpa) =>
            Assert.IsType<YamlSequenceNode>(Yaml.Find(hpa, "spec.metrics")).Children.OfType<YamlMappingNode>()
                .Select(m =>
                {
                    var type = Yaml.Scalar(m, "type")!;
                    var name = type switch
                    {
                        "Resource" => Yaml.Scalar(m, "resource.name"),
                        "Pods" => Yaml.Scalar(m, "pods.metric.name"),
                        "External" => Yaml.Scalar(m, "external.metric.name"),
                        _ => "?",
                    };
                    return type + ":" + ResolveToken(name ?? "?");
                })
                .ToArray();
    }

    [Fact]
    public void WorkloadsHaveDisruptionBudgetsRollingUpdatesAndZoneSpread()
    {
        Assert.Equal("PodDisruptionBudget", Yaml.Scalar(Chart.Documents("gateway-pdb.yaml").Single(), "kind"));
        Assert.Equal("PodDisruptionBudget", Yaml.Scalar(Chart.Documents("silo-pdb.yaml").Single(), "kind"));

        var deployment = Chart.Documents("gateway-deployment.yaml").Single();
        Assert.Equal("RollingUpdate", Yaml.Scalar(deployment, "spec.strategy.type"));
        var statefulSet = Chart.Documents("silo-statefulset.yaml").Single();
        Assert.Equal("RollingUpdate", Yaml.Scalar(statefulSet, "spec.updateStrategy.type"));
        Assert.NotNull(Yaml.Find(statefulSet, "spec.template.spec.terminationGracePeriodSeconds"));

        foreach (var workload in new[] { deployment, statefulSet })
        {
            var spread = Assert.IsType<YamlSequenceNode>(Yaml.Find(workload, "spec.template.spec.topologySpreadConstraints"));
            Assert.Contains(spread.Children.OfType<YamlMappingNode>(), c => ResolveToken(Yaml.Scalar(c, "topologyKey")!) == "topology.kubernetes.io/zone");
        }
    }

    [Fact]
    public void NetworkPolicyDeniesByDefaultAndOpensOnlyTheDesignedPaths()
    {
        var policies = Chart.Documents("networkpolicy.yaml");
        Assert.All(policies, p => Assert.Equal("NetworkPolicy", Yaml.Scalar(p, "kind")));

        var deny = policies.Single(p => Yaml.Find(p, "spec.ingress") is null && Yaml.Find(p, "spec.egress") is null);
        var types = Assert.IsType<YamlSequenceNode>(Yaml.Find(deny, "spec.policyTypes")).Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToArray();
        Assert.Equal(["Ingress", "Egress"], types);

        // silos: the internal port is open to gateways and silos only
        var silo = policies.Single(p => Rules(p, "ingress").Any(r => RulePorts(r).Contains("internal")));
        var internalRule = Rules(silo, "ingress").Single(r => RulePorts(r).Contains("internal"));
        Assert.Equal(2, Assert.IsType<YamlSequenceNode>(Yaml.Find(internalRule, "from")).Children.Count);

        // gateways: public port in, silos' internal port out
        var gateway = policies.Single(p => p != silo && Rules(p, "ingress").Any(r => RulePorts(r).Contains("http")));
        Assert.Contains(Rules(gateway, "egress"), r => RulePorts(r).Contains("internal") && Yaml.Find(r, "to") is YamlSequenceNode);
        Assert.Contains(Rules(gateway, "egress"), r => RulePorts(r).Contains(Yaml.Scalar(Chart.Values, "networkPolicy.postgres.port")!));

        // PostgreSQL and Kafka egress for silos
        var siloEgress = Rules(silo, "egress");
        Assert.Contains(siloEgress, r => RulePorts(r).Contains(Yaml.Scalar(Chart.Values, "networkPolicy.postgres.port")!));
        Assert.Contains(siloEgress, r => RulePorts(r).Contains("53"));

        static YamlMappingNode[] Rules(YamlMappingNode policy, string direction) =>
            Yaml.Find(policy, "spec." + direction) is YamlSequenceNode rules ? rules.Children.OfType<YamlMappingNode>().ToArray() : [];

        static string[] RulePorts(YamlMappingNode rule) =>
            Yaml.Find(rule, "ports") is YamlSequenceNode ports
                ? ports.Children.OfType<YamlMappingNode>().Select(p => ResolveToken(Yaml.Scalar(p, "port") ?? "")).ToArray()
                : [];
    }

    [Fact]
    public void IngressKeepsSignalRClientsOnOneGateway()
    {
        var ingress = Chart.Documents("ingress.yaml").Single();
        var annotations = Assert.IsType<YamlMappingNode>(Yaml.Find(ingress, "metadata.annotations"));
        Assert.Equal("cookie", Child(annotations, "nginx.ingress.kubernetes.io/affinity"));
        Assert.NotNull(Child(annotations, "nginx.ingress.kubernetes.io/session-cookie-name"));
        Assert.NotNull(Child(annotations, "nginx.ingress.kubernetes.io/proxy-read-timeout"));
    }

    [Fact]
    public void NoTemplateOrValuesFileCarriesASecret()
    {
        foreach (var (file, text) in Chart.Templates)
        {
            Assert.False(SecretKindRegex().IsMatch(text), $"{file} creates a Secret: the chart only references secrets.existingSecret");
            Assert.False(LiteralCredentialRegex().IsMatch(text), $"{file} contains what looks like a credential: {LiteralCredentialRegex().Match(text).Value}");
            Assert.DoesNotContain("-----BEGIN", text, StringComparison.Ordinal);
            Assert.DoesNotContain("b64enc", text, StringComparison.Ordinal);
        }

        foreach (var valuesFile in new[] { RepoPaths.ValuesFile }.Concat(RepoPaths.PresetFiles))
        {
            var text = File.ReadAllText(valuesFile);
            Assert.DoesNotMatch(LiteralCredentialRegex(), text);
            Assert.DoesNotContain("-----BEGIN", text, StringComparison.Ordinal);
            var values = Yaml.LoadMapping(valuesFile);
            foreach (var (path, node) in Yaml.Leaves(values))
            {
                if (path.StartsWith("secrets.", StringComparison.Ordinal))
                {
                    continue; // the Secret's name and the key names inside it
                }

                var leafKey = path.Split('.')[^1];
                if (SecretKeyNameRegex().IsMatch(leafKey) && !leafKey.EndsWith("Name", StringComparison.Ordinal) &&
                    node is YamlScalarNode { Value: { Length: > 0 } value } && value is not ("true" or "false"))
                {
                    Assert.Fail($"{Path.GetFileName(valuesFile)}: {path} looks like a secret value; put it in the Secret named by secrets.existingSecret");
                }
            }
        }

        Assert.True(Yaml.Exists(Chart.Values, "secrets.existingSecret"));
        Assert.Equal("", Yaml.Scalar(Chart.Values, "secrets.existingSecret"));
    }

    [Fact]
    public void SecretSettingsComeOnlyFromSecretKeyRefs()
    {
        string[] secretKeys = ["Storage__ConnectionString", "Auth__SigningKey", "Auth__AdminPassword", "Auth__ShopperTokenKey", "Auth__IngestKey", "Webhook__Secret"];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (template, container, _) in Containers())
        {
            foreach (var env in EnvEntries(container))
            {
                var name = Yaml.Scalar(env, "name")!;
                if (!secretKeys.Contains(name))
                {
                    continue;
                }

                seen.Add(name);
                Assert.True(Yaml.Find(env, "value") is null, $"{template}: {name} must not have a literal value");
                var secretName = Yaml.Scalar(env, "valueFrom.secretKeyRef.name");
                Assert.True(secretName is not null, $"{template}: {name} must come from valueFrom.secretKeyRef");
                Assert.Equal("secrets.existingSecret", Chart.Token(secretName!)?.ValuesPath);
                Assert.StartsWith("secrets.keys.", Chart.Token(Yaml.Scalar(env, "valueFrom.secretKeyRef.key") ?? "")?.ValuesPath ?? "");
            }
        }

        Assert.Equal(secretKeys.OrderBy(k => k), seen.OrderBy(k => k));
    }

    [Fact]
    public void ServiceMonitorScrapesMetricsOnThePublicPort()
    {
        var sm = Chart.Documents("servicemonitor.yaml").Single();
        var endpoint = Assert.IsType<YamlMappingNode>(Assert.IsType<YamlSequenceNode>(Yaml.Find(sm, "spec.endpoints")).Children.Single());
        Assert.Equal("/metrics", Yaml.Scalar(endpoint, "path"));
        Assert.Equal("http", Yaml.Scalar(endpoint, "port"));
    }

    // ---------------------------------------------------------------------------------------------

    internal static YamlNode Merged(string file) =>
        file == "values.yaml" ? Chart.Values : Yaml.Merge(Chart.Values, Yaml.LoadMapping(Path.Combine(RepoPaths.Chart, file)));

    /// <summary>Containers and init containers of every workload template, with their pod spec.</summary>
    internal static IEnumerable<(string Template, YamlMappingNode Container, YamlMappingNode Pod)> Containers()
    {
        foreach (var template in Chart.ManifestTemplates)
        {
            foreach (var doc in Chart.Documents(template))
            {
                if (!WorkloadKinds.Contains(Yaml.Scalar(doc, "kind")))
                {
                    continue;
                }

                var pod = Assert.IsType<YamlMappingNode>(Yaml.Find(doc, "spec.template.spec"));
                foreach (var list in new[] { "containers", "initContainers" })
                {
                    if (Yaml.Find(pod, list) is YamlSequenceNode containers)
                    {
                        foreach (var c in containers.Children.OfType<YamlMappingNode>())
                        {
                            yield return (template, c, pod);
                        }
                    }
                }
            }
        }
    }

    internal static IEnumerable<YamlMappingNode> EnvEntries(YamlMappingNode container) =>
        Yaml.Find(container, "env") is YamlSequenceNode env
            ? env.Children.OfType<YamlMappingNode>().Where(e => Yaml.Find(e, "name") is YamlScalarNode)
            : [];

    /// <summary>Port name (and number) -> the values path feeding containerPort.</summary>
    private static Dictionary<string, string?> DeclaredPorts(YamlMappingNode container)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (Yaml.Find(container, "ports") is YamlSequenceNode ports)
        {
            foreach (var p in ports.Children.OfType<YamlMappingNode>())
            {
                var number = Yaml.Scalar(p, "containerPort") ?? "";
                var path = Chart.Token(number)?.ValuesPath;
                if (Yaml.Scalar(p, "name") is { } name)
                {
                    result[name] = path;
                }

                result[path is null ? number : Yaml.Scalar(Chart.Values, path) ?? number] = path;
            }
        }

        return result;
    }

    private static string? EnvValuePath(YamlMappingNode container, string envName)
    {
        var entry = EnvEntries(container).SingleOrDefault(e => Yaml.Scalar(e, "name") == envName);
        Assert.True(entry is not null, $"container {Yaml.Scalar(container, "name")} does not set {envName}");
        return Chart.Token(Yaml.Scalar(entry!, "value") ?? "")?.ValuesPath;
    }

    private static string? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? (node as YamlScalarNode)?.Value : null;

    /// <summary>A token's values-file value when it reads one, else the text itself.</summary>
    private static string ResolveToken(string text) =>
        Chart.Token(text) is { ValuesPath: { } path } ? Yaml.Scalar(Chart.Values, path) ?? text : text;

    /// <summary>Paths under free-form maps (annotations, labels, selectors, resources) need not be pre-declared.</summary>
    private static bool ExistsOrUnderFreeForm(YamlNode values, string path)
    {
        if (Yaml.Exists(values, path))
        {
            return true;
        }

        var segments = path.Split('.');
        for (var i = segments.Length - 1; i > 0; i--)
        {
            var parent = Yaml.Find(values, segments.Take(i));
            if (parent is YamlMappingNode { Children.Count: 0 } || parent is YamlSequenceNode)
            {
                return true; // {} or [] in values.yaml: anything may go there
            }

            if (parent is not null)
            {
                return FreeFormKeys.Contains(segments[i - 1]);
            }
        }

        return false;
    }

    private static readonly HashSet<string> FreeFormKeys = new(StringComparer.Ordinal)
    {
        "annotations", "labels", "podAnnotations", "podLabels", "nodeSelector", "affinity", "selector",
        "requests", "limits", "namespaceSelector", "podSelector",
    };

    private static string Numbered(string text) =>
        string.Join('\n', text.Split('\n').Select((l, i) => $"{i + 1,4}: {l}"));

    [GeneratedRegex(@"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVerRegex();

    [GeneratedRegex(@"\{\{-?\s*if\s+gt\s+\(int\s+\.Values\.silo\.replicas\)\s+\(int\s+\.Values\.runtime\.partitions\)\s*\}\}\s*\{\{-?\s*fail\b")]
    private static partial Regex GuardRegex();

    [GeneratedRegex(@"\{\{-?\s*if\s+gt\s+\(int\s+\$a\.maxReplicas\)\s+\(int\s+\.Values\.runtime\.partitions\)\s*\}\}\s*\{\{-?\s*fail\b")]
    private static partial Regex HpaGuardRegex();

    [GeneratedRegex(@"include\s+""cart-recovery\.env""\s+\(dict\s+""root""\s+\.\s+""role""\s+(?<role>""\w+""|\$\w+)\)")]
    private static partial Regex RoleArgRegex();

    [GeneratedRegex(@"\$role\s*:=\s*ternary\s+""both""\s+""silo""\s+\(eq\s+\.Values\.mode\s+""embedded""\)")]
    private static partial Regex RoleTernaryRegex();

    [GeneratedRegex(@"(?m)^\s*kind:\s*Secret\s*$")]
    private static partial Regex SecretKindRegex();

    /// <summary>Credentials written out: "Password=hunter2" in a connection string, a long base64/hex blob after a secret-ish key.</summary>
    [GeneratedRegex(@"(?i)(?:password|pwd)\s*=\s*[^;\s""'{]+|(?:secret|token|signingkey|apikey|password)\w*\s*[:=]\s*[""']?(?=[^\s""']*\d)[A-Za-z0-9+/=_-]{24,}")]
    private static partial Regex LiteralCredentialRegex();

    [GeneratedRegex(@"(?i)password|passwd|secret|token|signingkey|apikey|connectionstring")]
    private static partial Regex SecretKeyNameRegex();
}

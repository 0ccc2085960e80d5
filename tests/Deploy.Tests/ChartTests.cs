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

    /// <summary>HostOptions.ShutdownTimeout of the application (SiloApp): the longest a graceful stop takes.</summary>
    private const int HostShutdownSeconds = 40;

    private const string PodName = Orleans.Hosting.Kubernetes.KubernetesHostingOptions.PodNameEnvironmentVariable;
    private const string PodNamespace = Orleans.Hosting.Kubernetes.KubernetesHostingOptions.PodNamespaceEnvironmentVariable;
    private const string PodIp = Orleans.Hosting.Kubernetes.KubernetesHostingOptions.PodIPEnvironmentVariable;

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
    public void NothingOfThePartitionOwnershipTopologyIsLeft()
    {
        // Orleans does membership, placement and the grain directory: no partition count bounds the
        // silos, and gateways call grains over Orleans, not an internal HTTP port of the silos.
        Assert.False(Yaml.Exists(Chart.Values, "runtime"), "values.yaml still declares runtime.* (partition ownership)");
        Assert.False(Yaml.Exists(Chart.Values, "ports.internal"), "values.yaml still declares ports.internal (gateway -> silo HTTP forwarding)");
        foreach (var (file, text) in Chart.Templates)
        {
            Assert.DoesNotContain(".Values.runtime", text, StringComparison.Ordinal);
            Assert.DoesNotContain("runtime.partitions", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Http__Internal", text, StringComparison.Ordinal);
            Assert.False(InternalPortRegex().IsMatch(text), $"{file} still names the silos' internal HTTP port");
        }
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public void PresetsRespectTheirOwnGuards(string file)
    {
        var values = Merged(file);
        Assert.True(Yaml.Int(values, "silo.replicas") >= 1);
        if (Yaml.Bool(values, "silo.autoscaling.enabled"))
        {
            Assert.True(Yaml.Int(values, "silo.autoscaling.maxReplicas") >= Yaml.Int(values, "silo.autoscaling.minReplicas"));
        }

        if (Yaml.Scalar(values, "mode") == "embedded")
        {
            Assert.Equal(1, Yaml.Int(values, "silo.replicas"));
        }
        else
        {
            Assert.Equal("postgres", Yaml.Scalar(values, "storage.provider")?.ToLowerInvariant());

            // the ids become pod labels (orleans/serviceId, orleans/clusterId): the chart's own regexMatch guard
            foreach (var key in new[] { "cluster.serviceId", "cluster.clusterId" })
            {
                Assert.Matches(LabelValueRegex(), Yaml.Scalar(values, key) ?? "");
            }

            long[] ports = [Yaml.Int(values, "cluster.siloPort"), Yaml.Int(values, "cluster.gatewayPort"), Yaml.Int(values, "ports.http")];
            Assert.Equal(3, ports.Distinct().Count());
        }

        foreach (var path in ((YamlSequenceNode)Yaml.Find(values, "ingress.paths")!).Children.Select(c => ((YamlScalarNode)c).Value ?? ""))
        {
            Assert.StartsWith("/", path);
            Assert.NotEqual("", path.TrimEnd('/'));
            Assert.False(path.TrimEnd('/') is "/metrics" or "/health" || path.StartsWith("/metrics/", StringComparison.Ordinal) || path.StartsWith("/health/", StringComparison.Ordinal),
                $"{file}: ingress.paths publishes {path}");
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

        // a silo leaves the cluster, deactivates its grains (writing their state) and finishes its storage
        // writes within the host's 40 s shutdown timeout, after the preStop sleep
        var siloGrace = Yaml.Int(values, "silo.terminationGracePeriodSeconds");
        Assert.True(siloGrace >= 45, "silo.terminationGracePeriodSeconds must be at least 45 s");
        Assert.True(Yaml.Int(values, "silo.preStopSleepSeconds") > 0, "silos sleep in preStop so endpoints drop them before the drain");
        Assert.True(siloGrace >= Yaml.Int(values, "silo.preStopSleepSeconds") + HostShutdownSeconds,
            $"silo.terminationGracePeriodSeconds must cover silo.preStopSleepSeconds + {HostShutdownSeconds} s of graceful shutdown");
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

            // only silos with Orleans' Kubernetes hosting get an API token (the expansion keeps that branch)
            var automount = Yaml.Scalar(pod, "automountServiceAccountToken");
            Assert.Equal(template == "silo-statefulset.yaml" ? "true" : "false", automount);
        }

        Assert.Matches(SiloTokenOnlyWithKubernetesHostingRegex(), Chart.Templates["silo-statefulset.yaml"]);
        Assert.Matches(KubernetesHostingVariableRegex(), Chart.Templates["silo-statefulset.yaml"]);
        Assert.Matches(KubernetesHostingDefineRegex(), Chart.Templates["_helpers.tpl"]);
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
    public void SilosDeclareTheOrleansPortsAndTheHeadlessServiceExposesThem()
    {
        Assert.Equal("11111", Yaml.Scalar(Chart.Values, "cluster.siloPort"));
        Assert.Equal("30000", Yaml.Scalar(Chart.Values, "cluster.gatewayPort"));

        var silo = ServerContainer("silo-statefulset.yaml");
        var ports = DeclaredPorts(silo);
        Assert.Equal("cluster.siloPort", ports.GetValueOrDefault("silo"));
        Assert.Equal("cluster.gatewayPort", ports.GetValueOrDefault("orleans-gateway"));
        Assert.Equal("cluster.siloPort", EnvValuePath(silo, "Cluster__SiloPort"));
        Assert.Equal("cluster.gatewayPort", EnvValuePath(silo, "Cluster__GatewayPort"));
        Assert.All(ports.Keys.Where(k => !char.IsDigit(k[0])), name => Assert.InRange(name.Length, 1, 15));

        // gateways are Orleans clients: they listen on no Orleans port
        var gatewayPorts = DeclaredPorts(ServerContainer("gateway-deployment.yaml"));
        Assert.False(gatewayPorts.ContainsKey("silo") || gatewayPorts.ContainsKey("orleans-gateway"), "gateways must not declare Orleans ports");

        var service = Chart.Documents("silo-service.yaml").Single();
        Assert.Equal("None", Yaml.Scalar(service, "spec.clusterIP"));
        var servicePorts = Assert.IsType<YamlSequenceNode>(Yaml.Find(service, "spec.ports")).Children.OfType<YamlMappingNode>().ToArray();
        foreach (var (name, path) in new[] { ("silo", "cluster.siloPort"), ("orleans-gateway", "cluster.gatewayPort"), ("http", "ports.http") })
        {
            var port = servicePorts.SingleOrDefault(p => Yaml.Scalar(p, "targetPort") == name);
            Assert.True(port is not null, $"the headless Service does not expose the container port {name}");
            Assert.Equal(path, Chart.Token(Yaml.Scalar(port!, "port") ?? "")?.ValuesPath);
        }

        var statefulSet = Chart.Documents("silo-statefulset.yaml").Single();
        Assert.Equal(Chart.Token(Yaml.Scalar(service, "metadata.name")!)?.Expression, Chart.Token(Yaml.Scalar(statefulSet, "spec.serviceName")!)?.Expression);
        Assert.Equal("silo", Child(Assert.IsType<YamlMappingNode>(Yaml.Find(service, "spec.selector")), "app.kubernetes.io/component"));
    }

    [Fact]
    public void SilosAndGatewaysJoinOneOrleansClusterThroughRedis()
    {
        var silo = ServerContainer("silo-statefulset.yaml");
        var gateway = ServerContainer("gateway-deployment.yaml");
        foreach (var container in new[] { silo, gateway })
        {
            Assert.Equal("Redis", EnvLiteral(container, "Cluster__Membership"));
            Assert.Equal("cluster.serviceId", EnvValuePath(container, "Cluster__ServiceId"));
            Assert.Equal("cluster.clusterId", EnvValuePath(container, "Cluster__ClusterId"));
            Assert.Equal("secrets.keys.redisConnectionString", Chart.Token(EnvField(container, "Cluster__RedisConnectionString", "valueFrom.secretKeyRef.key") ?? "")?.ValuesPath);
        }

        // what only a silo needs: its address, its ports, Kubernetes hosting
        foreach (var name in new[] { "Cluster__SiloPort", "Cluster__GatewayPort", "Cluster__AdvertisedAddress", "Cluster__Kubernetes", PodName, PodNamespace, PodIp })
        {
            Assert.DoesNotContain(EnvEntries(gateway), e => Yaml.Scalar(e, "name") == name);
        }

        var gatewayLabels = Assert.IsType<YamlMappingNode>(Yaml.Find(Chart.Documents("gateway-deployment.yaml").Single(), "spec.template.metadata.labels"));
        Assert.Equal("gateway", Child(gatewayLabels, "app.kubernetes.io/component"));
        Assert.Null(Child(gatewayLabels, Orleans.Hosting.Kubernetes.KubernetesHostingOptions.ServiceIdLabel)); // the hosting agent would list gateways as unknown silos
    }

    [Fact]
    public void EachPodGetsTheYoungGenerationBudgetOfItsWork()
    {
        // Gateways hold connections (a small budget keeps memory per connection low); silos work
        // through Kafka's backlog (a large one lets held records die young). Never the other's.
        var silo = ServerContainer("silo-statefulset.yaml");
        var gateway = ServerContainer("gateway-deployment.yaml");
        Assert.Equal("silo.gcGen0Size", EnvValuePath(silo, "DOTNET_GCgen0size"));
        Assert.Equal("gateway.gcGen0MaxBudget", EnvValuePath(gateway, "DOTNET_GCGen0MaxBudget"));

        // Both pods include the one env helper, so each variable is guarded by its pod's role there.
        var env = Chart.DefineBody("cart-recovery.env");
        Assert.Matches(RoleGuardedEnvRegex("gateway", "gateway.gcGen0MaxBudget", "DOTNET_GCGen0MaxBudget"), env);
        Assert.Matches(RoleGuardedEnvRegex("silo", "silo.gcGen0Size", "DOTNET_GCgen0size"), env);

        // The runtime reads both as hex byte counts. One heap's budget stays under half the silo's memory
        // limit: the GC would cap a larger one anyway, and the value would then promise what pods never get.
        var gen0 = Convert.ToInt64(Yaml.Scalar(Chart.Values, "silo.gcGen0Size")!, 16);
        var limit = Yaml.Scalar(Chart.Values, "silo.resources.limits.memory")!;
        Assert.EndsWith("Gi", limit);
        Assert.True(gen0 * 2 < long.Parse(limit[..^2]) << 30, $"silo.gcGen0Size {gen0:N0} B per GC heap leaves no room under the memory limit {limit}");
        Assert.True(Convert.ToInt64(Yaml.Scalar(Chart.Values, "gateway.gcGen0MaxBudget")!, 16) > 0);
    }

    [Fact]
    public void SilosTakeTheirIdentityFromTheDownwardApiAndCarryTheOrleansLabels()
    {
        var silo = ServerContainer("silo-statefulset.yaml");
        Assert.Equal("status.podIP", EnvField(silo, "Cluster__AdvertisedAddress", "valueFrom.fieldRef.fieldPath"));
        Assert.Equal("cluster.kubernetesHosting.enabled", EnvValuePath(silo, "Cluster__Kubernetes"));

        // the names Orleans' KubernetesHostingOptions reads
        Assert.Equal("metadata.name", EnvField(silo, PodName, "valueFrom.fieldRef.fieldPath"));
        Assert.Equal("metadata.namespace", EnvField(silo, PodNamespace, "valueFrom.fieldRef.fieldPath"));
        Assert.Equal("status.podIP", EnvField(silo, PodIp, "valueFrom.fieldRef.fieldPath"));

        // ... and the labels its agent selects the cluster's pods by, equal to Cluster__ServiceId/ClusterId
        var labels = Assert.IsType<YamlMappingNode>(Yaml.Find(Chart.Documents("silo-statefulset.yaml").Single(), "spec.template.metadata.labels"));
        Assert.Equal("cluster.serviceId", Chart.Token(Child(labels, Orleans.Hosting.Kubernetes.KubernetesHostingOptions.ServiceIdLabel) ?? "")?.ValuesPath);
        Assert.Equal("cluster.clusterId", Chart.Token(Child(labels, Orleans.Hosting.Kubernetes.KubernetesHostingOptions.ClusterIdLabel) ?? "")?.ValuesPath);

        // ORLEANS_SERVICE_ID / ORLEANS_CLUSTER_ID would override Cluster__ServiceId/ClusterId behind the labels' back
        foreach (var (_, container, _) in Containers())
        {
            Assert.DoesNotContain(EnvEntries(container), e => Yaml.Scalar(e, "name") is Orleans.Hosting.Kubernetes.KubernetesHostingOptions.ServiceIdEnvironmentVariable
                or Orleans.Hosting.Kubernetes.KubernetesHostingOptions.ClusterIdEnvironmentVariable);
        }
    }

    [Fact]
    public void OnlyTheSilosAccountMayReadWatchAndDeletePods()
    {
        var docs = Chart.Documents("rbac.yaml");
        var role = docs.Single(d => Yaml.Scalar(d, "kind") == "Role");
        var rule = Assert.IsType<YamlMappingNode>(Assert.IsType<YamlSequenceNode>(Yaml.Find(role, "rules")).Children.Single());
        Assert.Equal<string>([""], Strings(rule, "apiGroups"));
        Assert.Equal<string>(["pods"], Strings(rule, "resources"));
        Assert.Equal(new[] { "delete", "get", "list", "patch", "watch" }, Strings(rule, "verbs").Order());

        var binding = docs.Single(d => Yaml.Scalar(d, "kind") == "RoleBinding");
        Assert.Equal("Role", Yaml.Scalar(binding, "roleRef.kind"));
        Assert.Equal(Chart.Token(Yaml.Scalar(role, "metadata.name")!)?.Expression, Chart.Token(Yaml.Scalar(binding, "roleRef.name")!)?.Expression);
        var subject = Assert.IsType<YamlMappingNode>(Assert.IsType<YamlSequenceNode>(Yaml.Find(binding, "subjects")).Children.Single());
        Assert.Equal("ServiceAccount", Yaml.Scalar(subject, "kind"));

        // the subject is the account the silos run as, and not the gateways' one
        var siloAccount = Chart.Token(Yaml.Scalar(Chart.Documents("silo-statefulset.yaml").Single(), "spec.template.spec.serviceAccountName")!)?.Expression;
        var gatewayAccount = Chart.Token(Yaml.Scalar(Chart.Documents("gateway-deployment.yaml").Single(), "spec.template.spec.serviceAccountName")!)?.Expression;
        Assert.Equal(siloAccount, Chart.Token(Yaml.Scalar(subject, "name")!)?.Expression);
        Assert.NotEqual(siloAccount, gatewayAccount);
        var accounts = Chart.Documents("serviceaccount.yaml").Select(d => Chart.Token(Yaml.Scalar(d, "metadata.name")!)?.Expression).ToArray();
        Assert.Contains(siloAccount, accounts);
        Assert.Contains(gatewayAccount, accounts);

        // rendered with Kubernetes hosting on (and rbac.create) only
        Assert.Matches(RbacConditionRegex(), Chart.Templates["rbac.yaml"]);
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

        // the migrate job and the embedded init container read storage only: no role, cluster or auth settings
        var migrations = Containers().Where(c => Yaml.Scalar(c.Container, "name") == "migrate").ToArray();
        Assert.Equal(["migrate-job.yaml", "silo-statefulset.yaml"], migrations.Select(c => c.Template).Order());
        foreach (var (_, container, _) in migrations)
        {
            var names = EnvEntries(container).Select(e => Yaml.Scalar(e, "name")!).ToArray();
            Assert.Contains("Storage__Provider", names);
            Assert.DoesNotContain(names, n => n.StartsWith("Cluster__", StringComparison.Ordinal) || n.StartsWith("Auth__", StringComparison.Ordinal) || n == "Silo__Role");
        }

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

        // silos scale on CPU by default; consumer lag joins (an External metric, per silo) only when
        // silo.autoscaling.kafkaLagPerSilo is set and Kafka carries the events
        var silo = Chart.Documents("silo-hpa.yaml").Single();
        Assert.Equal<string>(["Resource:cpu"], MetricsOf(silo));
        var template = Chart.Templates["silo-hpa.yaml"];
        Assert.Contains("with $a.kafkaLagPerSilo", template, StringComparison.Ordinal);
        Assert.Contains("if $kafka", template, StringComparison.Ordinal);
        Assert.Contains("type: External", template, StringComparison.Ordinal);
        Assert.Equal("0", Yaml.Scalar(Chart.Values, "silo.autoscaling.kafkaLagPerSilo"));
        Assert.Equal("StatefulSet", Yaml.Scalar(silo, "spec.scaleTargetRef.kind"));
        Assert.DoesNotContain("fail", Chart.Templates["silo-hpa.yaml"], StringComparison.Ordinal);

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

        // endpoints drop a pod before SIGTERM starts its drain
        foreach (var (template, values) in new[] { ("gateway-deployment.yaml", "gateway.preStopSleepSeconds"), ("silo-statefulset.yaml", "silo.preStopSleepSeconds") })
        {
            var command = Assert.IsType<YamlSequenceNode>(Yaml.Find(ServerContainer(template), "lifecycle.preStop.exec.command")).Children.Cast<YamlScalarNode>().ToArray();
            Assert.Equal("sleep", command[0].Value);
            Assert.Equal(values, Chart.Token(command[1].Value ?? "")?.ValuesPath);
        }

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

        var siloPort = Yaml.Scalar(Chart.Values, "cluster.siloPort")!;
        var gatewayPort = Yaml.Scalar(Chart.Values, "cluster.gatewayPort")!;
        var silo = PolicyOf(policies, "silo");
        var gateway = PolicyOf(policies, "gateway");

        // silos: the silo-to-silo port from silos only, the Orleans gateway port from gateways and silos
        var siloIngress = Rules(silo, "ingress");
        Assert.Equal<string>(["silo"], PeerComponents(siloIngress.Single(r => RulePorts(r).Contains(siloPort)), "from"));
        Assert.Equal<string>(["gateway", "silo"], PeerComponents(siloIngress.Single(r => RulePorts(r).Contains(gatewayPort)), "from").Order());
        Assert.All(siloIngress, r => Assert.True(Yaml.Find(r, "from") is YamlSequenceNode { Children.Count: > 0 }, "a silo ingress rule admits any source"));

        var siloEgress = Rules(silo, "egress");
        var toSilos = siloEgress.Single(r => PeerComponents(r, "to").Contains("silo"));
        Assert.Equal<string>([siloPort], RulePorts(toSilos));
        Assert.Equal<string>(["silo"], PeerComponents(toSilos, "to"));
        foreach (var port in new[] { "networkPolicy.redis.port", "networkPolicy.postgres.port" }.Select(p => Yaml.Scalar(Chart.Values, p)!).Append("53"))
        {
            Assert.Contains(siloEgress, r => RulePorts(r).Contains(port));
        }

        // Kafka, the Kubernetes API (hosting) and webhooks: port lists the expansion leaves as one templated entry each
        Assert.Equal(7, siloEgress.Length);
        var siloPolicyText = Chart.Templates["networkpolicy.yaml"].Split("\n---").Single(d => d.Contains("componentName\" $silo", StringComparison.Ordinal));
        Assert.Matches(SiloKubernetesApiEgressRegex(), siloPolicyText);
        Assert.Contains("include \"cart-recovery.np.kafkaEgress\"", siloPolicyText, StringComparison.Ordinal);

        // gateways: the public port in; out, the silos' Orleans gateway port and nothing else of theirs
        Assert.Contains(Rules(gateway, "ingress"), r => RulePorts(r).Contains("http"));
        var gatewayEgress = Rules(gateway, "egress");
        var toSilosFromGateway = gatewayEgress.Single(r => PeerComponents(r, "to").Contains("silo"));
        Assert.Equal<string>([gatewayPort], RulePorts(toSilosFromGateway));
        Assert.DoesNotContain(gatewayEgress, r => RulePorts(r).Contains(siloPort));
        foreach (var port in new[] { "networkPolicy.redis.port", "networkPolicy.postgres.port" }.Select(p => Yaml.Scalar(Chart.Values, p)!).Append("53"))
        {
            Assert.Contains(gatewayEgress, r => RulePorts(r).Contains(port));
        }

        Assert.Equal(5, gatewayEgress.Length); // silos, DNS, Redis, PostgreSQL, Kafka: no Kubernetes API, no webhooks

        // the migrate job: DNS and PostgreSQL only
        var migrate = PolicyOf(policies, "migrate");
        Assert.Empty(Rules(migrate, "ingress"));
        Assert.Equal(new[] { "53", Yaml.Scalar(Chart.Values, "networkPolicy.postgres.port")! }.Order(), Rules(migrate, "egress").SelectMany(RulePorts).Distinct().Order());
    }

    [Fact]
    public void MetricsAreScrapedOnlyByTheMonitoringPeersAndNeverPublished()
    {
        var metricsFrom = Assert.IsType<YamlSequenceNode>(Yaml.Find(Chart.Values, "networkPolicy.metricsFrom"));
        Assert.NotEmpty(metricsFrom.Children);
        var expected = Yaml.Emit(metricsFrom, 0);
        Assert.True(Yaml.Find(Chart.Values, "networkPolicy.ingressFrom") is YamlSequenceNode { Children.Count: 0 }, "the checks below assume values.yaml leaves networkPolicy.ingressFrom empty");

        var policies = Chart.Documents("networkpolicy.yaml");

        // silos: port http only for the monitoring peers
        var siloHttp = Rules(PolicyOf(policies, "silo"), "ingress").Where(r => RulePorts(r).Contains("http")).ToArray();
        var siloMetrics = Assert.Single(siloHttp);
        Assert.Equal(expected, Yaml.Emit(Assert.IsType<YamlSequenceNode>(Yaml.Find(siloMetrics, "from")), 0));

        // gateways: the public rule (ingressFrom, empty in values.yaml: any source) and the metrics rule,
        // which carries the monitoring peers and never stands without them
        var gatewayHttp = Rules(PolicyOf(policies, "gateway"), "ingress").Where(r => RulePorts(r).Contains("http")).ToArray();
        Assert.Equal(2, gatewayHttp.Length);
        Assert.Single(gatewayHttp, r => Yaml.Find(r, "from") is null);
        var gatewayMetrics = Assert.Single(gatewayHttp, r => Yaml.Find(r, "from") is not null);
        Assert.Equal(expected, Yaml.Emit(Assert.IsType<YamlSequenceNode>(Yaml.Find(gatewayMetrics, "from")), 0));
        Assert.Matches(MetricsRuleGuardRegex(), Chart.DefineBody("cart-recovery.np.metricsIngress"));

        // the Ingress routes only the listed prefixes and refuses any that would publish /metrics or /health
        var ingress = Chart.Documents("ingress.yaml").Single();
        var paths = Assert.IsType<YamlSequenceNode>(Yaml.Find(Assert.IsType<YamlSequenceNode>(Yaml.Find(ingress, "spec.rules")).Children.OfType<YamlMappingNode>().Single(), "http.paths"))
            .Children.OfType<YamlMappingNode>().ToArray();
        var path = Assert.Single(paths); // one entry per ingress.paths item (a range)
        Assert.Equal("$path", Chart.Token(Yaml.Scalar(path, "path")!)?.Expression);
        Assert.Equal("Prefix", Yaml.Scalar(path, "pathType"));
        Assert.Matches(IngressPathsRangeRegex(), Chart.Templates["ingress.yaml"]);
        Assert.Matches(IngressPathGuardRegex(), Chart.Templates["ingress.yaml"]);

        var published = Assert.IsType<YamlSequenceNode>(Yaml.Find(Chart.Values, "ingress.paths")).Children.Select(c => ((YamlScalarNode)c).Value).ToArray();
        Assert.DoesNotContain("/", published);
        Assert.DoesNotContain("/metrics", published);
        Assert.Contains("/v1", published);
        Assert.Contains("/hubs", published);
        Assert.Contains("/dashboard", published); // admin-only Orleans Dashboard, published on purpose (docs/operations.md)
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
        string[] secretKeys = ["Storage__ConnectionString", "Cluster__RedisConnectionString", "Auth__SigningKey", "Auth__AdminPassword", "Auth__ShopperTokenKey", "Auth__IngestKey", "Webhook__Secret", "Kafka__SaslPassword"];
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

    /// <summary>The server container of a workload template (the one with probes).</summary>
    private static YamlMappingNode ServerContainer(string template) =>
        Containers().Single(c => c.Template == template && Yaml.Find(c.Container, "livenessProbe") is not null).Container;

    private static YamlMappingNode Env(YamlMappingNode container, string envName)
    {
        var entry = EnvEntries(container).SingleOrDefault(e => Yaml.Scalar(e, "name") == envName);
        Assert.True(entry is not null, $"container {Yaml.Scalar(container, "name")} does not set {envName}");
        return entry!;
    }

    private static string? EnvLiteral(YamlMappingNode container, string envName) => Yaml.Scalar(Env(container, envName), "value");

    private static string? EnvField(YamlMappingNode container, string envName, string path) => Yaml.Scalar(Env(container, envName), path);

    private static string[] Strings(YamlMappingNode node, string path) =>
        Assert.IsType<YamlSequenceNode>(Yaml.Find(node, path)).Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToArray();

    /// <summary>The NetworkPolicy whose podSelector picks one component's pods.</summary>
    private static YamlMappingNode PolicyOf(IEnumerable<YamlMappingNode> policies, string component) =>
        policies.Single(p => Yaml.Find(p, "spec.podSelector.matchLabels") is YamlMappingNode labels && Child(labels, "app.kubernetes.io/component") == component);

    private static YamlMappingNode[] Rules(YamlMappingNode policy, string direction) =>
        Yaml.Find(policy, "spec." + direction) is YamlSequenceNode rules ? rules.Children.OfType<YamlMappingNode>().ToArray() : [];

    private static string[] RulePorts(YamlMappingNode rule) =>
        Yaml.Find(rule, "ports") is YamlSequenceNode ports
            ? ports.Children.OfType<YamlMappingNode>().Select(p => ResolveToken(Yaml.Scalar(p, "port") ?? "")).ToArray()
            : [];

    /// <summary>The components of this release a rule's peers select (pod selectors without a namespace selector).</summary>
    private static string[] PeerComponents(YamlMappingNode rule, string direction) =>
        Yaml.Find(rule, direction) is YamlSequenceNode peers
            ? peers.Children.OfType<YamlMappingNode>()
                .Where(p => Yaml.Find(p, "namespaceSelector") is null && Yaml.Find(p, "ipBlock") is null)
                .Select(p => Yaml.Find(p, "podSelector.matchLabels") is YamlMappingNode labels ? Child(labels, "app.kubernetes.io/component") ?? "?" : "?")
                .ToArray()
            : [];

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

    private static string? EnvValuePath(YamlMappingNode container, string envName) =>
        Chart.Token(EnvLiteral(container, envName) ?? "")?.ValuesPath;

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

    [GeneratedRegex(@"(?m)^\s*-?\s*name:\s*internal\s*$|targetPort:\s*internal\b|port:\s*internal\b")]
    private static partial Regex InternalPortRegex();

    /// <summary>A Kubernetes label value, as the chart's regexMatch guard checks cluster.serviceId/clusterId.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex LabelValueRegex();

    [GeneratedRegex(@"\{\{-?\s*if\s+\$k8s\s*-?\}\}\s*(?:#[^\n]*\s*)*automountServiceAccountToken:\s*true\s*\{\{-?\s*else\s*-?\}\}\s*automountServiceAccountToken:\s*false\s*\{\{-?\s*end\s*-?\}\}")]
    private static partial Regex SiloTokenOnlyWithKubernetesHostingRegex();

    [GeneratedRegex(@"\$k8s\s*:=\s*include\s+""cart-recovery\.kubernetesHosting""\s+\.")]
    private static partial Regex KubernetesHostingVariableRegex();

    [GeneratedRegex(@"define\s+""cart-recovery\.kubernetesHosting""\s*-?\}\}\s*\{\{-?\s*if\s+and\s+\(eq\s+\.Values\.mode\s+""cluster""\)\s+\.Values\.cluster\.kubernetesHosting\.enabled\s*\}\}true\{\{\s*end\s*\}\}")]
    private static partial Regex KubernetesHostingDefineRegex();

    [GeneratedRegex(@"\{\{-?\s*if\s+and\s+\.Values\.rbac\.create\s+\(include\s+""cart-recovery\.kubernetesHosting""\s+\.\)\s*\}\}")]
    private static partial Regex RbacConditionRegex();

    [GeneratedRegex(@"\{\{-?\s*if\s+include\s+""cart-recovery\.kubernetesHosting""\s+\.\s*\}\}\s*\{\{-?\s*include\s+""cart-recovery\.np\.kubernetesApiEgress""")]
    private static partial Regex SiloKubernetesApiEgressRegex();

    [GeneratedRegex(@"^\s*\{\{-?\s*if\s+\.Values\.networkPolicy\.metricsFrom\s*\}\}")]
    private static partial Regex MetricsRuleGuardRegex();

    [GeneratedRegex(@"\{\{-?\s*range\s+\$path\s*:=\s*\$i\.paths\s*\}\}\s*-\s*path:\s*\{\{\s*\$path\s*\}\}")]
    private static partial Regex IngressPathsRangeRegex();

    /// <summary>The guard that fails the rendering for "/", "/metrics" and "/health" prefixes.</summary>
    [GeneratedRegex(@"(?s)\{\{-?\s*range\s+\$path\s*:=\s*\$i\.paths\s*\}\}\s*\{\{-?\s*if\s+or\s+[^}]*""/metrics""[^}]*""/health""[^}]*\}\}\s*\{\{-?\s*fail\b")]
    private static partial Regex IngressPathGuardRegex();

    /// <summary>An <c>if</c> on the role and the value, then (after comment lines) the variable set from that value.</summary>
    private static Regex RoleGuardedEnvRegex(string role, string valuesPath, string variable) =>
        new($@"\{{\{{-?\s*if\s+and\s+\(eq\s+\.role\s+""{role}""\)\s+\$root\.Values\.{Regex.Escape(valuesPath)}\s*-?\}}\}}\s*(?:#[^\n]*\s*)*- name:\s*{variable}\s+value:\s*\{{\{{\s*\$root\.Values\.{Regex.Escape(valuesPath)}\s*\|\s*quote\s*\}}\}}");

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

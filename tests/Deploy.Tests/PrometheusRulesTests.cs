using System.Text.RegularExpressions;
using CartRecovery.Deploy.Tests.Support;
using CartRecovery.TestSupport;
using YamlDotNet.RepresentationModel;

namespace CartRecovery.Deploy.Tests;

/// <summary>deploy/prometheus/alerts.yml: valid for promtool, firing as intended, on contract metrics, documented.</summary>
public sealed partial class PrometheusRulesTests
{
    private static readonly string[] RequiredAlerts =
    [
        "CartRecoveryHighErrorRate",
        "CartRecoveryHighLatencyP99",
        "CartRecoveryNoActiveSilos",
        "CartRecoveryStorageTransactionFailures",
        "CartRecoveryGrainCallErrors",
    ];

    [RequiresToolFact("promtool", "apt-get install prometheus")]
    public async Task PromtoolAcceptsTheRules()
    {
        var result = await ProcessRun.RunAsync("promtool", ["check", "rules", RepoPaths.AlertRules], TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("SUCCESS", result.Output, StringComparison.Ordinal);
    }

    [RequiresToolFact("promtool", "apt-get install prometheus")]
    public async Task AlertUnitTestsPass()
    {
        var result = await ProcessRun.RunAsync(
            "promtool", ["test", "rules", Path.GetFileName(RepoPaths.AlertRuleTests)], TimeSpan.FromMinutes(2),
            workingDirectory: Path.GetDirectoryName(RepoPaths.AlertRuleTests));
        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Fact]
    public void TheRequiredAlertsExist()
    {
        var alerts = Rules().Select(r => Yaml.Scalar(r, "alert")).ToHashSet(StringComparer.Ordinal);
        foreach (var alert in RequiredAlerts)
        {
            Assert.Contains(alert, alerts);
        }
    }

    [Fact]
    public void RulesQueryOnlyContractMetrics()
    {
        foreach (var rule in Rules())
        {
            var expr = Yaml.Scalar(rule, "expr")!;
            foreach (var metric in PromQl.MetricNames(expr))
            {
                Assert.True(MetricContract.Owner(metric) is not null, $"{Yaml.Scalar(rule, "alert")} queries {metric}, which the application does not expose");
            }
        }
    }

    [Fact]
    public void EveryAlertHasSeverityARunbookSectionAndADescription()
    {
        var doc = File.ReadAllText(RepoPaths.OperationsDoc);
        var anchors = HeadingRegex().Matches(doc).Select(m => Anchor(m.Groups["title"].Value)).ToHashSet(StringComparer.Ordinal);
        foreach (var rule in Rules())
        {
            var alert = Yaml.Scalar(rule, "alert")!;
            Assert.Contains(Yaml.Scalar(rule, "labels.severity"), new[] { "warning", "critical" });
            Assert.False(string.IsNullOrWhiteSpace(Yaml.Scalar(rule, "annotations.summary")), alert);
            Assert.False(string.IsNullOrWhiteSpace(Yaml.Scalar(rule, "annotations.description")), alert);
            var runbook = Yaml.Scalar(rule, "annotations.runbook") ?? "";
            Assert.StartsWith("docs/operations.md#", runbook, StringComparison.Ordinal);
            Assert.True(anchors.Contains(runbook.Split('#')[1]), $"{alert}: docs/operations.md has no section #{runbook.Split('#')[1]}");
        }
    }

    private static IEnumerable<YamlMappingNode> Rules()
    {
        var root = Yaml.LoadMapping(RepoPaths.AlertRules);
        var groups = Assert.IsType<YamlSequenceNode>(Yaml.Find(root, "groups"));
        return groups.Children.OfType<YamlMappingNode>()
            .SelectMany(g => Assert.IsType<YamlSequenceNode>(Yaml.Find(g, "rules")).Children.OfType<YamlMappingNode>());
    }

    /// <summary>GitHub-style heading anchor: lower case, punctuation dropped, spaces to dashes.</summary>
    private static string Anchor(string title) =>
        AnchorDropRegex().Replace(title.Trim().ToLowerInvariant(), "").Replace(' ', '-');

    [GeneratedRegex(@"(?m)^#{1,6}\s+(?<title>.+?)\s*$")]
    private static partial Regex HeadingRegex();

    [GeneratedRegex(@"[^a-z0-9 _-]")]
    private static partial Regex AnchorDropRegex();
}

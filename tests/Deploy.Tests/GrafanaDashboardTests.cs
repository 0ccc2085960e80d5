using System.Text.Json;
using CartRecovery.Deploy.Tests.Support;

namespace CartRecovery.Deploy.Tests;

/// <summary>deploy/grafana/cart-recovery.json parses, lays out, and queries only contract metrics.</summary>
public sealed class GrafanaDashboardTests
{
    private static readonly JsonDocument Dashboard = JsonDocument.Parse(File.ReadAllText(RepoPaths.Dashboard));

    [Fact]
    public void DashboardIsAnImportableGrafanaDashboard()
    {
        var root = Dashboard.RootElement;
        Assert.Equal("cart-recovery", root.GetProperty("uid").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("title").GetString()));
        Assert.True(root.GetProperty("schemaVersion").GetInt32() >= 30);
        var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().Select(v => v.GetProperty("name").GetString()).ToArray();
        Assert.Contains("datasource", variables);

        var ids = new HashSet<int>();
        foreach (var panel in Panels())
        {
            Assert.True(ids.Add(panel.GetProperty("id").GetInt32()), "panel ids must be unique");
            var grid = panel.GetProperty("gridPos");
            Assert.InRange(grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32(), 1, 24);
        }
    }

    [Fact]
    public void EveryQueryReadsContractMetrics()
    {
        var queried = new HashSet<string>(StringComparer.Ordinal);
        foreach (var expr in Queries())
        {
            var metrics = PromQl.MetricNames(expr);
            Assert.NotEmpty(metrics);
            foreach (var metric in metrics)
            {
                var owner = MetricContract.Owner(metric);
                Assert.True(owner is not null, $"the dashboard queries {metric} (in `{expr}`), which is not an application metric");
                queried.Add(owner!);
            }
        }

        // every contract metric has a panel
        Assert.Empty(MetricContract.Names.Except(queried));
    }

    private static IEnumerable<JsonElement> Panels()
    {
        foreach (var panel in Dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var inner in nested.EnumerateArray())
                {
                    yield return inner;
                }
            }
        }
    }

    private static IEnumerable<string> Queries()
    {
        foreach (var panel in Panels())
        {
            if (panel.TryGetProperty("targets", out var targets))
            {
                foreach (var t in targets.EnumerateArray())
                {
                    yield return t.GetProperty("expr").GetString()!;
                }
            }
        }

        foreach (var variable in Dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.GetProperty("type").GetString() == "query")
            {
                var query = variable.GetProperty("query");
                yield return query.ValueKind == JsonValueKind.String ? query.GetString()! : query.GetProperty("query").GetString()!;
            }
        }
    }
}

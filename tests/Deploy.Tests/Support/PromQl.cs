using System.Text.RegularExpressions;

namespace CartRecovery.Deploy.Tests.Support;

/// <summary>Metric names read by a PromQL expression (functions, keywords, labels and Grafana variables left out).</summary>
internal static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
        "inf", "nan", "Inf", "NaN", "atan2",
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile",
    };

    public static IReadOnlySet<string> MetricNames(string expr)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);

        // Grafana's label_values(metric, label): only the first argument is a metric.
        foreach (Match m in LabelValuesRegex().Matches(expr))
        {
            names.Add(m.Groups["metric"].Value);
        }

        expr = LabelValuesRegex().Replace(expr, " ");
        expr = StringRegex().Replace(expr, "\"\"");
        expr = MatcherRegex().Replace(expr, " ");
        expr = GroupingRegex().Replace(expr, " ");
        expr = RangeRegex().Replace(expr, " ");

        foreach (Match m in IdentifierRegex().Matches(expr))
        {
            var name = m.Value;
            var after = expr.AsSpan(m.Index + m.Length).TrimStart();
            if (Keywords.Contains(name) || (after.Length > 0 && after[0] == '('))
            {
                continue; // a function or an operator
            }

            names.Add(name);
        }

        return names;
    }

    [GeneratedRegex(@"label_values\(\s*(?<metric>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*,[^)]*\)")]
    private static partial Regex LabelValuesRegex();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*'")]
    private static partial Regex StringRegex();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex MatcherRegex();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex GroupingRegex();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangeRegex();

    [GeneratedRegex(@"(?<![\w.$:])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex IdentifierRegex();
}

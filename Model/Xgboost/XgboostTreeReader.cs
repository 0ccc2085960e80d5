using System.Text.Json;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Xgboost;

/// <summary>
/// Converts one XGBoost tree. Only nodes reachable from the root are kept, because pruning can leave
/// deleted nodes in the arrays; leaf outputs live in split_conditions (base_weights agree for leaves).
/// </summary>
internal static class XgboostTreeReader
{
    /// <param name="gain">Per-feature total split gain, added to (XGBoost's "total_gain" importance).</param>
    public static EnsembleTree Read(JsonElement t, string path, int featureCount, double[] gain)
    {
        var left = Ints(t, "left_children", path);
        var n = left.Length;
        var right = Ints(t, "right_children", path, n);
        var splitIndex = Ints(t, "split_indices", path, n);
        var condition = Floats(t, "split_conditions", path, n);
        var defaultLeft = Ints(t, "default_left", path, n);
        var lossChange = t.TryGetProperty("loss_changes", out _) ? Floats(t, "loss_changes", path, n) : new float[n];
        if (t.TryGetProperty("split_type", out _) && Ints(t, "split_type", path, n).Any(s => s != 0))
        {
            throw new ImportException($"{path}.split_type: categorical splits are not supported");
        }

        if (n == 0)
        {
            throw new ImportException($"{path} has no nodes");
        }

        // Renumber reachable nodes depth-first; guard against cycles in a damaged file.
        var map = new int[n];
        Array.Fill(map, -1);
        var order = new List<int>(n);
        var stack = new Stack<int>();
        stack.Push(0);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (node < 0 || node >= n || map[node] >= 0)
            {
                throw new ImportException($"{path}: node {node} is out of range or reached twice");
            }

            map[node] = order.Count;
            order.Add(node);
            if (left[node] != -1)
            {
                if (right[node] == -1)
                {
                    throw new ImportException($"{path}: node {node} has a left child but no right child");
                }

                if (splitIndex[node] < 0 || splitIndex[node] >= featureCount)
                {
                    throw new ImportException($"{path}.split_indices[{node}] = {splitIndex[node]} is not a feature index below {featureCount}");
                }

                stack.Push(right[node]);
                stack.Push(left[node]);
            }
        }

        var m = order.Count;
        var feature = new int[m];
        var threshold = new float[m];
        var leafValue = new float[m];
        var l = new int[m];
        var r = new int[m];
        var d = new bool[m];
        for (var i = 0; i < m; i++)
        {
            var src = order[i];
            var leaf = left[src] == -1;
            feature[i] = leaf ? -1 : splitIndex[src];
            threshold[i] = leaf ? 0 : condition[src];
            leafValue[i] = leaf ? condition[src] : 0;
            l[i] = leaf ? -1 : map[left[src]];
            r[i] = leaf ? -1 : map[right[src]];
            d[i] = defaultLeft[src] != 0;
            if (!leaf)
            {
                gain[splitIndex[src]] += lossChange[src];
            }
        }

        return new EnsembleTree(feature, threshold, l, r, d, leafValue);
    }

    private static JsonElement ArrayOf(JsonElement t, string name, string path, int? length)
    {
        var a = XgboostImporter.Get(t, name, $"{path}.{name}");
        if (a.ValueKind != JsonValueKind.Array)
        {
            throw new ImportException($"{path}.{name} is not an array");
        }

        if (length is { } expected && a.GetArrayLength() != expected)
        {
            throw new ImportException($"{path}.{name} has {a.GetArrayLength()} values, left_children has {expected}");
        }

        return a;
    }

    private static int[] Ints(JsonElement t, string name, string path, int? length = null) =>
        ArrayOf(t, name, path, length).EnumerateArray().Select((e, i) => e.ValueKind switch
        {
            JsonValueKind.True => 1,
            JsonValueKind.False => 0,
            JsonValueKind.Number when e.TryGetInt32(out var v) => v,
            _ => throw new ImportException($"{path}.{name}[{i}] is not an integer"),
        }).ToArray();

    private static float[] Floats(JsonElement t, string name, string path, int length) =>
        ArrayOf(t, name, path, length).EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.Number
            ? e.GetSingle()
            : throw new ImportException($"{path}.{name}[{i}] is not a number")).ToArray();
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CartRecovery.Model.Data;

namespace CartRecovery.Model.Scoring;

/// <summary>
/// An immutable binary classifier: a sum of regression trees plus a base margin, squashed by the logistic
/// function. Thread-safe; <see cref="Predict"/> allocates nothing.
/// </summary>
public sealed class GbdtModel
{
    private readonly FlatNode[] _nodes;
    private readonly int[] _roots;
    private readonly int[] _groupDepth;

    internal GbdtModel(DatasetSchema schema, float baseMargin, IReadOnlyList<RegressionTree> trees, ModelMetadata metadata)
    {
        if (schema.Count == 0)
        {
            throw new ArgumentException("a model needs at least one feature", nameof(schema));
        }

        Schema = schema;
        BaseMargin = baseMargin;
        Trees = trees;
        Metadata = metadata;
        for (var t = 0; t < trees.Count; t++)
        {
            trees[t].Validate(schema.Count, $"tree {t}");
        }

        (_nodes, _roots) = Flatten(trees);
        _groupDepth = new int[trees.Count / 4];
        for (var g = 0; g < _groupDepth.Length; g++)
        {
            _groupDepth[g] = Enumerable.Range(4 * g, 4).Max(t => Depth(trees[t], 0));
        }
    }

    public DatasetSchema Schema { get; }

    public IReadOnlyList<FeatureInfo> Features => Schema.Features;

    /// <summary>Log-odds every prediction starts from.</summary>
    public float BaseMargin { get; }

    public ModelMetadata Metadata { get; }

    public int TreeCount => Trees.Count;

    internal IReadOnlyList<RegressionTree> Trees { get; }

    public GbdtModel WithMetadata(ModelMetadata metadata) => new(Schema, BaseMargin, Trees, metadata);

    /// <summary>Probability of the positive class for one row in <see cref="Features"/> order (NaN = missing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Predict(ReadOnlySpan<float> features) => Sigmoid(PredictMargin(features));

    /// <summary>Raw log-odds. Sums in float, tree by tree, as XGBoost does, so imported models agree to the last bits.</summary>
    public float PredictMargin(ReadOnlySpan<float> features)
    {
        if (features.Length < Schema.Count)
        {
            ThrowTooShort(features.Length);
        }

        ref var x = ref MemoryMarshal.GetReference(features);
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        var sum = BaseMargin;
        var t = 0;

        // Four trees at a time for as many steps as the deepest of them: four independent load chains
        // keep the core busy where one chain would wait on memory at every level.
        for (var g = 0; g < _groupDepth.Length; g++, t += 4)
        {
            int i0 = _roots[t], i1 = _roots[t + 1], i2 = _roots[t + 2], i3 = _roots[t + 3];
            for (var d = _groupDepth[g]; d > 0; d--)
            {
                i0 = Step(ref nodes, ref x, i0);
                i1 = Step(ref nodes, ref x, i1);
                i2 = Step(ref nodes, ref x, i2);
                i3 = Step(ref nodes, ref x, i3);
            }

            sum += Unsafe.Add(ref nodes, i0).Value;
            sum += Unsafe.Add(ref nodes, i1).Value;
            sum += Unsafe.Add(ref nodes, i2).Value;
            sum += Unsafe.Add(ref nodes, i3).Value;
        }

        for (; t < _roots.Length; t++)
        {
            var i = _roots[t];
            while ((Unsafe.Add(ref nodes, i).Flags & FlatNode.InternalFlag) != 0)
            {
                i = Step(ref nodes, ref x, i);
            }

            sum += Unsafe.Add(ref nodes, i).Value;
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Step(ref FlatNode nodes, ref float x, int i)
    {
        ref var n = ref Unsafe.Add(ref nodes, i);
        var v = Unsafe.Add(ref x, n.Feature);

        // NaN fails both comparisons, so only missing values take the learned default; leaves have a zero mask.
        var step = (v >= n.Value ? 1 : 0) | ((float.IsNaN(v) ? 1 : 0) & n.Flags);
        return n.Left + (step & (n.Flags >> 1));
    }

    /// <summary>Scores every row of a dataset whose schema matches this model.</summary>
    public float[] PredictAll(Dataset data)
    {
        if (data.Schema.Count != Schema.Count)
        {
            throw new ArgumentException($"dataset has {data.Schema.Count} features, model has {Schema.Count}", nameof(data));
        }

        var rows = data.ToRowMajor();
        var f = Schema.Count;
        var result = new float[data.RowCount];
        Parallel.For(0, (data.RowCount + 4095) / 4096, block =>
        {
            var end = Math.Min(data.RowCount, (block + 1) * 4096);
            for (var r = block * 4096; r < end; r++)
            {
                result[r] = Predict(rows.AsSpan(r * f, f));
            }
        });
        return result;
    }

    /// <summary>Total loss reduction of all splits on each feature (XGBoost's "total_gain").</summary>
    public IReadOnlyDictionary<string, double> FeatureImportance()
    {
        var gain = new double[Schema.Count];
        foreach (var tree in Trees)
        {
            for (var n = 0; n < tree.NodeCount; n++)
            {
                if (!tree.IsLeaf(n))
                {
                    gain[tree.Feature[n]] += tree.Gain[n];
                }
            }
        }

        return Enumerable.Range(0, Schema.Count).ToDictionary(i => Schema.Features[i].Name, i => gain[i], StringComparer.Ordinal);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float margin) => 1f / (1f + MathF.Exp(-margin));

    private void ThrowTooShort(int length) =>
        throw new ArgumentException($"feature vector has {length} values, model needs {Schema.Count}", "features");

    private static int Depth(RegressionTree tree, int node) =>
        tree.IsLeaf(node) ? 0 : 1 + Math.Max(Depth(tree, tree.Left[node]), Depth(tree, tree.Right[node]));

    /// <summary>Breadth-first per tree, so siblings sit side by side and upper levels stay hot in cache.</summary>
    private static (FlatNode[] Nodes, int[] Roots) Flatten(IReadOnlyList<RegressionTree> trees)
    {
        var nodes = new FlatNode[trees.Sum(t => t.NodeCount)];
        var roots = new int[trees.Count];
        var next = 0;
        var queue = new Queue<(int Source, int Target)>();
        for (var t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            roots[t] = next++;
            queue.Enqueue((0, roots[t]));
            while (queue.Count > 0)
            {
                var (source, target) = queue.Dequeue();
                if (tree.IsLeaf(source))
                {
                    nodes[target] = new FlatNode { Feature = 0, Value = tree.Value[source], Left = target, Flags = 0 };
                    continue;
                }

                var left = next;
                next += 2;
                nodes[target] = new FlatNode
                {
                    Feature = tree.Feature[source],
                    Value = tree.Value[source],
                    Left = left,
                    Flags = FlatNode.InternalFlag | (tree.DefaultLeft[source] ? 0 : FlatNode.MissingRightFlag),
                };
                queue.Enqueue((tree.Left[source], left));
                queue.Enqueue((tree.Right[source], left + 1));
            }
        }

        return (nodes, roots);
    }
}

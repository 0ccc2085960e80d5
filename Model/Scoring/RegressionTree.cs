namespace CartRecovery.Model.Scoring;

/// <summary>
/// One tree as parallel arrays indexed by node (node 0 is the root), the form it is trained, saved and
/// imported in. Leaves have <see cref="Feature"/> = -1 and keep their output in <see cref="Value"/>;
/// splits send a row left when <c>x[Feature] &lt; Value</c> and missing values to <see cref="DefaultLeft"/>.
/// </summary>
internal sealed class RegressionTree
{
    public RegressionTree(int[] feature, float[] value, int[] left, int[] right, bool[] defaultLeft, float[] gain, float[] cover)
    {
        var n = feature.Length;
        if (n == 0 || value.Length != n || left.Length != n || right.Length != n || defaultLeft.Length != n || gain.Length != n || cover.Length != n)
        {
            throw new ArgumentException("tree arrays must be non-empty and of equal length");
        }

        Feature = feature;
        Value = value;
        Left = left;
        Right = right;
        DefaultLeft = defaultLeft;
        Gain = gain;
        Cover = cover;
    }

    public int[] Feature { get; }

    public float[] Value { get; }

    public int[] Left { get; }

    public int[] Right { get; }

    public bool[] DefaultLeft { get; }

    /// <summary>Loss reduction of each split (0 on leaves), the basis of gain importance.</summary>
    public float[] Gain { get; }

    /// <summary>Hessian sum that reached each node.</summary>
    public float[] Cover { get; }

    public int NodeCount => Feature.Length;

    public bool IsLeaf(int node) => Feature[node] < 0;

    /// <summary>
    /// Rejects anything that is not a proper binary tree over known features, so a crafted or damaged file
    /// cannot make scoring loop forever or read outside the feature vector.
    /// </summary>
    public void Validate(int featureCount, string where)
    {
        var parents = new int[NodeCount];
        Array.Fill(parents, -1);
        var visited = 0;
        var stack = new Stack<int>();
        stack.Push(0);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            visited++;
            if (!float.IsFinite(Value[node]))
            {
                throw new FormatException($"{where}: node {node} has a non-finite value");
            }

            if (IsLeaf(node))
            {
                continue;
            }

            if (Feature[node] >= featureCount)
            {
                throw new FormatException($"{where}: node {node} splits on feature {Feature[node]} but the model has {featureCount}");
            }

            foreach (var child in (ReadOnlySpan<int>)[Left[node], Right[node]])
            {
                if (child <= 0 || child >= NodeCount || parents[child] >= 0)
                {
                    throw new FormatException($"{where}: node {node} has an invalid child {child}");
                }

                parents[child] = node;
                stack.Push(child);
            }
        }

        if (visited != NodeCount)
        {
            throw new FormatException($"{where}: {NodeCount - visited} nodes are not reachable from the root");
        }
    }
}

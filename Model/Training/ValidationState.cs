using CartRecovery.Model.Data;
using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Scoring;

namespace CartRecovery.Model.Training;

/// <summary>Running validation margins, advanced one tree per round instead of re-scoring the whole ensemble.</summary>
internal sealed class ValidationState
{
    private const int RowBlock = 8192;
    private readonly float[] _rows;
    private readonly float[] _labels;
    private readonly float[] _margins;
    private readonly int _features;

    public ValidationState(Dataset data, float baseMargin)
    {
        _rows = data.ToRowMajor();
        _labels = data.Labels!;
        _features = data.Schema.Count;
        _margins = new float[data.RowCount];
        Array.Fill(_margins, baseMargin);
    }

    /// <summary>Adds a tree's output to every row and returns the mean log loss.</summary>
    public double Add(RegressionTree tree, ParallelOptions parallel)
    {
        var blocks = (_margins.Length + RowBlock - 1) / RowBlock;
        var losses = new double[blocks];
        Parallel.For(0, blocks, parallel, b =>
        {
            var end = Math.Min(_margins.Length, (b + 1) * RowBlock);
            double loss = 0;
            for (var r = b * RowBlock; r < end; r++)
            {
                var x = _rows.AsSpan(r * _features, _features);
                var node = 0;
                while (!tree.IsLeaf(node))
                {
                    var v = x[tree.Feature[node]];
                    var left = float.IsNaN(v) ? tree.DefaultLeft[node] : v < tree.Value[node];
                    node = left ? tree.Left[node] : tree.Right[node];
                }

                var m = _margins[r] += tree.Value[node];
                loss += LogisticLoss.Loss(m, _labels[r]);
            }

            losses[b] = loss;
        });
        return _margins.Length == 0 ? double.NaN : losses.Sum() / _margins.Length;
    }

    public double Auc()
    {
        // AUC depends only on the ranking, which the sigmoid preserves.
        return Metrics.Auc(_margins, _labels);
    }
}

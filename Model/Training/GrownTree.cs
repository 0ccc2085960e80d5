using CartRecovery.Model.Scoring;

namespace CartRecovery.Model.Training;

/// <summary>A tree as grown, with what the boosting loop needs to update margins without re-reading floats.</summary>
internal sealed class GrownTree(RegressionTree tree, int[] thresholdCodes, List<(int Node, int Start, int Count)> leaves)
{
    public RegressionTree Tree { get; } = tree;

    /// <summary>Per node, the highest code that goes left (see <see cref="BinnedMatrix"/>).</summary>
    public int[] ThresholdCodes { get; } = thresholdCodes;

    /// <summary>Each leaf's rows as a range of <see cref="TreeGrower.Rows"/>.</summary>
    public List<(int Node, int Start, int Count)> Leaves { get; } = leaves;

    public int LeafOf(BinnedMatrix m, int row)
    {
        var node = 0;
        var codes = m.Codes.AsSpan((int)((long)row * m.Features), m.Features);
        while (!Tree.IsLeaf(node))
        {
            var c = codes[Tree.Feature[node]];
            var left = c == 0 ? Tree.DefaultLeft[node] : c <= ThresholdCodes[node];
            node = left ? Tree.Left[node] : Tree.Right[node];
        }

        return node;
    }
}

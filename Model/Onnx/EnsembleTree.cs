namespace CartRecovery.Model.Onnx;

/// <summary>
/// One regression tree as parallel arrays, root at 0. Node i is a leaf when <see cref="Left"/>[i] is -1 and then
/// outputs <see cref="LeafValue"/>[i]; otherwise rows with x[Feature[i]] &lt; Threshold[i] go left, missing
/// values (NaN) go left when <see cref="DefaultLeft"/>[i], and all others go right (XGBoost's rule).
/// </summary>
internal sealed record EnsembleTree(int[] Feature, float[] Threshold, int[] Left, int[] Right, bool[] DefaultLeft, float[] LeafValue)
{
    public int NodeCount => Left.Length;

    public bool IsLeaf(int node) => Left[node] == -1;
}

namespace CartRecovery.Model.Onnx;

/// <summary>
/// Writes a binary classifier made of regression trees as an ONNX graph: ai.onnx.ml TreeEnsembleRegressor
/// (sum of leaves plus a base margin) followed by a Sigmoid, so the model takes one float tensor [N, F] named
/// "features" and yields "probability" [N, 1]. Opsets are ones ONNX Runtime and onnx 1.12's checker both know.
/// </summary>
internal static class TreeEnsembleOnnx
{
    public const string InputName = "features";
    public const string OutputName = "probability";

    public static byte[] Write(IReadOnlyList<EnsembleTree> trees, float baseMargin, int featureCount, string graphName)
    {
        var treeIds = new List<long>();
        var nodeIds = new List<long>();
        var featureIds = new List<long>();
        var thresholds = new List<float>();
        var modes = new List<string>();
        var trueIds = new List<long>();
        var falseIds = new List<long>();
        var missingTrue = new List<long>();
        var targetTrees = new List<long>();
        var targetNodes = new List<long>();
        var leafValues = new List<float>();
        for (var t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            for (var n = 0; n < tree.NodeCount; n++)
            {
                var leaf = tree.IsLeaf(n);
                treeIds.Add(t);
                nodeIds.Add(n);
                featureIds.Add(leaf ? 0 : tree.Feature[n]);
                thresholds.Add(leaf ? 0 : tree.Threshold[n]);

                // "True" is the left branch: x < threshold, as XGBoost tests it; NaN follows the learned default.
                modes.Add(leaf ? "LEAF" : "BRANCH_LT");
                trueIds.Add(leaf ? 0 : tree.Left[n]);
                falseIds.Add(leaf ? 0 : tree.Right[n]);
                missingTrue.Add(!leaf && tree.DefaultLeft[n] ? 1 : 0);
                if (leaf)
                {
                    targetTrees.Add(t);
                    targetNodes.Add(n);
                    leafValues.Add(tree.LeafValue[n]);
                }
            }
        }

        var ensemble = OnnxProto.Node("TreeEnsembleRegressor", "ai.onnx.ml", InputName, "margin",
            OnnxProto.Attribute("n_targets", 1L),
            OnnxProto.Attribute("aggregate_function", "SUM"),
            OnnxProto.Attribute("post_transform", "NONE"),
            OnnxProto.Attribute("base_values", [baseMargin]),
            OnnxProto.Attribute("nodes_treeids", treeIds),
            OnnxProto.Attribute("nodes_nodeids", nodeIds),
            OnnxProto.Attribute("nodes_featureids", featureIds),
            OnnxProto.Attribute("nodes_values", thresholds),
            OnnxProto.Attribute("nodes_modes", modes),
            OnnxProto.Attribute("nodes_truenodeids", trueIds),
            OnnxProto.Attribute("nodes_falsenodeids", falseIds),
            OnnxProto.Attribute("nodes_missing_value_tracks_true", missingTrue),
            OnnxProto.Attribute("target_treeids", targetTrees),
            OnnxProto.Attribute("target_nodeids", targetNodes),
            OnnxProto.Attribute("target_ids", new long[targetTrees.Count]),
            OnnxProto.Attribute("target_weights", leafValues));
        var sigmoid = OnnxProto.Node("Sigmoid", "", "margin", OutputName);
        var graph = OnnxProto.Graph(graphName, [ensemble, sigmoid],
            OnnxProto.FloatTensor(InputName, null, featureCount),
            OnnxProto.FloatTensor(OutputName, null, 1));
        return new ProtoWriter()
            .Int(OnnxProto.ModelIrVersion, OnnxProto.IrVersion)
            .String(OnnxProto.ModelProducerName, "CartRecovery")
            .String(OnnxProto.ModelProducerVersion, "1")
            .Message(OnnxProto.ModelGraph, graph)
            .Message(OnnxProto.ModelOpsetImport, OnnxProto.OpsetImport("", 13))
            .Message(OnnxProto.ModelOpsetImport, OnnxProto.OpsetImport("ai.onnx.ml", 3))
            .ToArray();
    }
}

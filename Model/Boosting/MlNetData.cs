using CartRecovery.Model.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CartRecovery.Model.Boosting;

/// <summary>
/// A <see cref="Dataset"/> as an ML.NET data view: one float vector column "Features" in schema order
/// (NaN stays NaN, so the learner sees missing values as missing) and a boolean "Label".
/// </summary>
internal static class MlNetData
{
    public const string Features = "Features";
    public const string Label = "Label";

    public static IDataView Labelled(MLContext ml, Dataset data)
    {
        var labels = data.Labels ?? throw new ArgumentException("training data needs labels", nameof(data));
        var rows = new LabelledRow[data.RowCount];
        var matrix = data.ToRowMajor();
        var f = data.Schema.Count;
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r] = new LabelledRow { Features = matrix.AsSpan(r * f, f).ToArray(), Label = labels[r] > 0.5f };
        }

        return ml.Data.LoadFromEnumerable(rows, Schema<LabelledRow>(f));
    }

    /// <summary>
    /// An empty view with the features column only. ONNX export makes a graph input of every column of the view it
    /// is given, so exporting with this one leaves the features tensor as the model's single input.
    /// </summary>
    public static IDataView FeaturesOnly(MLContext ml, int featureCount) =>
        ml.Data.LoadFromEnumerable(Array.Empty<FeatureRow>(), Schema<FeatureRow>(featureCount));

    private static SchemaDefinition Schema<T>(int featureCount)
    {
        var schema = SchemaDefinition.Create(typeof(T));
        schema[Features].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        return schema;
    }

    public sealed class LabelledRow
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    public sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];
    }
}

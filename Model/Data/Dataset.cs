namespace CartRecovery.Model.Data;

/// <summary>
/// A typed, column-major table: one float column per feature (NaN = missing) and optional 0/1 labels.
/// Column-major because a CSV column is typed and encoded as a whole; <see cref="ToRowMajor"/> gives the
/// row layout ML.NET and ONNX Runtime take.
/// </summary>
public sealed class Dataset
{
    private readonly float[][] _columns;

    private Dataset(DatasetSchema schema, float[][] columns, float[]? labels, string? labelName, int rows)
    {
        Schema = schema;
        _columns = columns;
        Labels = labels;
        LabelName = labelName;
        RowCount = rows;
    }

    public DatasetSchema Schema { get; }

    public int RowCount { get; }

    /// <summary>0/1 per row, or null when the data was loaded for scoring only.</summary>
    public float[]? Labels { get; }

    public string? LabelName { get; }

    /// <summary>Wraps existing arrays (no copy); every column and the labels must have the same length.</summary>
    public static Dataset Create(DatasetSchema schema, float[][] columns, float[]? labels, string? labelName = null)
    {
        if (columns.Length != schema.Count)
        {
            throw new ArgumentException($"{columns.Length} columns for {schema.Count} features", nameof(columns));
        }

        var rows = labels?.Length ?? (columns.Length > 0 ? columns[0].Length : 0);
        for (var i = 0; i < columns.Length; i++)
        {
            if (columns[i].Length != rows)
            {
                throw new ArgumentException($"column '{schema.Features[i].Name}' has {columns[i].Length} rows, expected {rows}", nameof(columns));
            }
        }

        if (labels is not null)
        {
            foreach (var y in labels)
            {
                if (y is not (0f or 1f))
                {
                    throw new ArgumentException("labels must be 0 or 1", nameof(labels));
                }
            }
        }

        return new Dataset(schema, columns, labels, labelName, rows);
    }

    public ReadOnlySpan<float> GetColumn(int feature) => _columns[feature];

    /// <summary>Copies one row in model feature order, ready for <c>OnnxScorer.Score</c>.</summary>
    public void GetRow(int row, Span<float> destination)
    {
        for (var f = 0; f < _columns.Length; f++)
        {
            destination[f] = _columns[f][row];
        }
    }

    /// <summary>Row-major copy, the layout scoring walks fastest.</summary>
    public float[] ToRowMajor()
    {
        var f = _columns.Length;
        var result = new float[RowCount * f];
        for (var c = 0; c < f; c++)
        {
            var col = _columns[c];
            for (var r = 0; r < RowCount; r++)
            {
                result[(r * f) + c] = col[r];
            }
        }

        return result;
    }

    public Dataset Slice(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, RowCount);
        var cols = _columns.Select(c => c.AsSpan(start, count).ToArray()).ToArray();
        return new Dataset(Schema, cols, Labels?.AsSpan(start, count).ToArray(), LabelName, count);
    }

    /// <summary>
    /// Holds out the last <paramref name="validationFraction"/> of rows. Rows are expected in time order,
    /// so this is a time-based split: validation measures how the model does on later sessions.
    /// </summary>
    public (Dataset Train, Dataset Validation) SplitTail(double validationFraction)
    {
        if (validationFraction is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be between 0 and 1 (exclusive)");
        }

        var validation = (int)Math.Round(RowCount * validationFraction);
        validation = Math.Clamp(validation, 1, Math.Max(1, RowCount - 1));
        return (Slice(0, RowCount - validation), Slice(RowCount - validation, validation));
    }
}

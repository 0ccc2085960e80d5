namespace CartRecovery.Model.Data;

/// <summary>
/// Turns a CSV with a header row into a <see cref="Dataset"/>. Training infers each column's kind from the
/// whole file; scoring reuses a model's schema so codes and kinds never drift between fit and score.
/// </summary>
public static class DatasetLoader
{
    /// <summary>
    /// Loads every column except the label (and <paramref name="ignoredColumns"/>) as a feature. A column is
    /// boolean if every non-empty cell is TRUE/FALSE, numeric if every non-empty cell is a number, else categorical.
    /// </summary>
    public static Dataset LoadForTraining(string path, string labelColumn, IReadOnlyCollection<string>? ignoredColumns = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(labelColumn);
        using var csv = CsvRecords.Open(path);
        var header = csv.Header;
        var labelIndex = csv.RequireColumn(labelColumn, "label column");
        var ignored = new HashSet<string>(ignoredColumns ?? Array.Empty<string>(), StringComparer.Ordinal);
        var featureColumns = Enumerable.Range(0, header.Length).Where(i => i != labelIndex && !ignored.Contains(header[i])).ToArray();
        if (featureColumns.Length == 0)
        {
            throw new DataFormatException($"{path}: no feature columns besides label '{labelColumn}'");
        }

        var records = new List<string[]>();
        var lines = new List<long>();
        while (csv.Read() is { } record)
        {
            records.Add(record);
            lines.Add(csv.Line);
        }

        if (records.Count == 0)
        {
            throw new DataFormatException($"{path}: no data rows after the header");
        }

        var labels = new float[records.Count];
        for (var r = 0; r < records.Count; r++)
        {
            labels[r] = Label(records[r][labelIndex], path, r + 1, lines[r], labelColumn);
        }

        var features = new FeatureInfo[featureColumns.Length];
        var columns = new float[featureColumns.Length][];
        for (var f = 0; f < featureColumns.Length; f++)
        {
            var c = featureColumns[f];
            features[f] = InferFeature(header[c], records, c);
            columns[f] = new float[records.Count];
            for (var r = 0; r < records.Count; r++)
            {
                columns[f][r] = Encode(features[f], records[r][c], path, r + 1, lines[r]);
            }
        }

        return Dataset.Create(new DatasetSchema(features), columns, labels, labelColumn);
    }

    /// <summary>
    /// Loads the columns a model expects, by name; other columns (an unused label, ids) are ignored.
    /// With <paramref name="labelColumn"/> the labels are read too and the column must exist.
    /// </summary>
    public static Dataset LoadWithSchema(string path, DatasetSchema schema, string? labelColumn = null)
    {
        using var csv = CsvRecords.Open(path);
        var positions = schema.Features.Select(f => csv.RequireColumn(f.Name, "feature column")).ToArray();
        var labelIndex = labelColumn is null ? -1 : csv.RequireColumn(labelColumn, "label column");
        var columns = Enumerable.Range(0, schema.Count).Select(_ => new List<float>()).ToArray();
        var labels = labelIndex >= 0 ? new List<float>() : null;
        while (csv.Read() is { } record)
        {
            for (var f = 0; f < schema.Count; f++)
            {
                columns[f].Add(Encode(schema.Features[f], record[positions[f]], path, csv.Row, csv.Line));
            }

            labels?.Add(Label(record[labelIndex], path, csv.Row, csv.Line, labelColumn!));
        }

        return Dataset.Create(schema, columns.Select(c => c.ToArray()).ToArray(), labels?.ToArray(), labelColumn);
    }

    private static float Label(string cell, string path, int row, long line, string labelColumn) =>
        CellParser.TryParseLabel(cell, out var y) ? y
        : throw new DataFormatException($"{path}: row {row} (line {line}), label column '{labelColumn}': '{cell}' is not TRUE/FALSE or 0/1");

    private static FeatureInfo InferFeature(string name, List<string[]> records, int column)
    {
        bool numeric = true, boolean = true;
        foreach (var record in records)
        {
            var cell = record[column].AsSpan();
            if (CellParser.IsMissing(cell))
            {
                continue;
            }

            boolean = boolean && CellParser.TryParseBoolean(cell, out _);
            numeric = numeric && CellParser.TryParseNumber(cell, out _);
            if (!boolean && !numeric)
            {
                break;
            }
        }

        if (boolean && !numeric)
        {
            return new FeatureInfo(name, FeatureKind.Boolean);
        }

        if (numeric)
        {
            return new FeatureInfo(name, FeatureKind.Numeric);
        }

        // Codes follow popularity (then text) so the order is deterministic and frequent categories get low codes.
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var cell = record[column];
            if (!CellParser.IsMissing(cell))
            {
                counts[cell] = counts.GetValueOrDefault(cell) + 1;
            }
        }

        var categories = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key).ToArray();
        return new FeatureInfo(name, FeatureKind.Categorical, categories);
    }

    private static float Encode(FeatureInfo feature, string cell, string path, int row, long line)
    {
        if (CellParser.IsMissing(cell))
        {
            return float.NaN;
        }

        switch (feature.Kind)
        {
            case FeatureKind.Numeric:
                if (CellParser.TryParseNumber(cell, out var d))
                {
                    return (float)d;
                }

                throw new DataFormatException($"{path}: row {row} (line {line}), column '{feature.Name}': '{cell}' is not a number (the column is numeric)");
            case FeatureKind.Boolean:
                if (CellParser.TryParseBoolean(cell, out var b))
                {
                    return b ? 1f : 0f;
                }

                // 0/1 in a boolean column is unambiguous, so accept it rather than fail a scoring run.
                if (CellParser.TryParseNumber(cell, out var n) && n is 0 or 1)
                {
                    return (float)n;
                }

                throw new DataFormatException($"{path}: row {row} (line {line}), column '{feature.Name}': '{cell}' is not TRUE/FALSE (the column is boolean)");
            default:
                return feature.EncodeCategory(cell);
        }
    }
}

using System.Globalization;
using System.Text;
using CartRecovery.Model.Data;

namespace CartRecovery.Model.Tests.Support;

/// <summary>Writes datasets as CSV for the CLI and for the Python side of parity tests.</summary>
public static class CsvText
{
    public static string Format(float v) => float.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Encoded features (category codes, booleans as 0/1, NaN as empty) plus the label as the last column.</summary>
    public static void WriteNumeric(Dataset data, string path, string labelName = "label")
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', data.Schema.Features.Select(f => f.Name));
        if (data.Labels is not null)
        {
            sb.Append(',').Append(labelName);
        }

        sb.Append('\n');
        var row = new float[data.Schema.Count];
        for (var r = 0; r < data.RowCount; r++)
        {
            data.GetRow(r, row);
            sb.AppendJoin(',', row.Select(Format));
            if (data.Labels is not null)
            {
                sb.Append(',').Append(Format(data.Labels[r]));
            }

            sb.Append('\n');
        }

        File.WriteAllText(path, sb.ToString());
    }
}

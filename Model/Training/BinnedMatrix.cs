using CartRecovery.Model.Data;

namespace CartRecovery.Model.Training;

/// <summary>
/// The training data quantised: one byte per (row, feature), row-major so a histogram pass touches one
/// contiguous run of bytes per row. Code 0 is missing; code c ≥ 1 is value bin c − 1, holding the values
/// below <c>Cuts[f][c − 1]</c> and at or above the previous cut. A split "code ≤ c" is therefore exactly the
/// float test "value &lt; Cuts[f][c − 1]" used at scoring time.
/// </summary>
internal sealed class BinnedMatrix
{
    private BinnedMatrix(int rows, int features, byte[] codes, byte[][] columnCodes, float[][] cuts)
    {
        Rows = rows;
        Features = features;
        Codes = codes;
        ColumnCodes = columnCodes;
        Cuts = cuts;
        Offsets = new int[features];
        var total = 0;
        for (var f = 0; f < features; f++)
        {
            Offsets[f] = total;
            total += cuts[f].Length + 1;
        }

        TotalBins = total;
    }

    public int Rows { get; }

    public int Features { get; }

    public byte[] Codes { get; }

    /// <summary>
    /// The same codes column-major. Partitioning reads one feature for an ascending run of rows, which this
    /// layout serves from a fraction of the cache lines the row-major one would touch.
    /// </summary>
    public byte[][] ColumnCodes { get; }

    /// <summary>Per feature, ascending cut values; the last is +∞ so every value has a bin.</summary>
    public float[][] Cuts { get; }

    /// <summary>Start of each feature's slots (missing first) in a flat histogram.</summary>
    public int[] Offsets { get; }

    public int TotalBins { get; }

    public static BinnedMatrix Build(Dataset data, int valueBins, ParallelOptions parallel)
    {
        var features = data.Schema.Count;
        var rows = data.RowCount;
        var cuts = new float[features][];
        Parallel.For(0, features, parallel, f => cuts[f] = ComputeCuts(data.GetColumn(f), valueBins));

        var codes = new byte[(long)rows * features];
        var columnCodes = new byte[features][];
        for (var f = 0; f < features; f++)
        {
            columnCodes[f] = new byte[rows];
        }

        const int block = 16384;
        Parallel.For(0, (rows + block - 1) / block, parallel, b =>
        {
            var end = Math.Min(rows, (b + 1) * block);
            for (var f = 0; f < features; f++)
            {
                var column = data.GetColumn(f);
                var c = cuts[f];
                for (var r = b * block; r < end; r++)
                {
                    codes[((long)r * features) + f] = columnCodes[f][r] = Code(c, column[r]);
                }
            }
        });
        return new BinnedMatrix(rows, features, codes, columnCodes, cuts);
    }

    public static byte Code(float[] cuts, float value)
    {
        if (float.IsNaN(value))
        {
            return 0;
        }

        // Upper bound: first cut strictly greater than the value.
        int lo = 0, hi = cuts.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (cuts[mid] > value)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return (byte)(lo + 1);
    }

    /// <summary>
    /// Every distinct value gets its own bin when there are few; otherwise cuts sit at evenly spaced ranks
    /// so each bin holds about the same number of rows (ties collapse, leaving fewer bins).
    /// </summary>
    internal static float[] ComputeCuts(ReadOnlySpan<float> column, int valueBins)
    {
        var values = new List<float>(column.Length);
        foreach (var v in column)
        {
            if (!float.IsNaN(v))
            {
                values.Add(v);
            }
        }

        if (values.Count == 0)
        {
            return [float.PositiveInfinity];
        }

        var sorted = values.ToArray();
        Array.Sort(sorted);
        var distinct = 1;
        for (var i = 1; i < sorted.Length && distinct <= valueBins; i++)
        {
            if (sorted[i] != sorted[i - 1])
            {
                distinct++;
            }
        }

        var cuts = new List<float>(valueBins);
        if (distinct <= valueBins)
        {
            for (var i = 1; i < sorted.Length; i++)
            {
                if (sorted[i] != sorted[i - 1])
                {
                    cuts.Add(sorted[i]);
                }
            }
        }
        else
        {
            for (var k = 1; k < valueBins; k++)
            {
                var candidate = sorted[(int)((long)k * sorted.Length / valueBins)];
                if (candidate > sorted[0] && (cuts.Count == 0 || candidate > cuts[^1]))
                {
                    cuts.Add(candidate);
                }
            }
        }

        cuts.Add(float.PositiveInfinity);
        return cuts.ToArray();
    }
}

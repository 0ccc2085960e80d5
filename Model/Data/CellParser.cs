using System.Globalization;

namespace CartRecovery.Model.Data;

/// <summary>The single definition of how cell text reads as a number or a boolean, shared by typing and scoring.</summary>
internal static class CellParser
{
    public static bool IsMissing(ReadOnlySpan<char> cell) => cell.IsWhiteSpace();

    /// <summary>
    /// Finite numbers only: "NaN" is accepted as missing (pandas and numpy write it), infinities are not numbers
    /// because a tree threshold cannot order them meaningfully against training data.
    /// </summary>
    public static bool TryParseNumber(ReadOnlySpan<char> cell, out double value)
    {
        if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            if (double.IsNaN(value))
            {
                return true;
            }

            return double.IsFinite(value);
        }

        return false;
    }

    public static bool TryParseBoolean(ReadOnlySpan<char> cell, out bool value)
    {
        var t = cell.Trim();
        if (t.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            value = true;
            return true;
        }

        if (t.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            value = false;
            return true;
        }

        value = false;
        return false;
    }

    /// <summary>Labels are TRUE/FALSE or the numbers 0/1; anything else is a data error.</summary>
    public static bool TryParseLabel(ReadOnlySpan<char> cell, out float label)
    {
        if (TryParseBoolean(cell, out var b))
        {
            label = b ? 1f : 0f;
            return true;
        }

        if (TryParseNumber(cell, out var d) && (d == 0 || d == 1))
        {
            label = (float)d;
            return true;
        }

        label = 0;
        return false;
    }
}

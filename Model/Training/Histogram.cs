using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CartRecovery.Model.Training;

/// <summary>
/// Gradient/hessian sums per (feature, bin), interleaved as [g, h] pairs in one flat double array laid out
/// by <see cref="BinnedMatrix.Offsets"/>. Doubles keep sums of many float gradients exact enough that
/// sibling-by-subtraction stays accurate.
/// </summary>
internal static class Histogram
{
    /// <summary>
    /// Adds the rows' gradient pairs into <paramref name="hist"/> for the given features. With
    /// <paramref name="odd"/>, every other row goes there instead (it must be zeroed and is folded in at the
    /// end): consecutive rows often share a bin, and two copies halve the chains of dependent read-modify-writes.
    /// </summary>
    public static void Accumulate(ReadOnlySpan<int> rows, BinnedMatrix m, float[] gradients, ReadOnlySpan<int> features, double[] hist, double[]? odd = null)
    {
        if (odd is null || features.Length != m.Features)
        {
            AccumulateOne(rows, m, gradients, features, hist);
            return;
        }

        var width = m.Features;
        ref var codes = ref MemoryMarshal.GetArrayDataReference(m.Codes);
        ref var gh = ref MemoryMarshal.GetArrayDataReference(gradients);
        ref var a0 = ref MemoryMarshal.GetArrayDataReference(hist);
        ref var b0 = ref MemoryMarshal.GetArrayDataReference(odd);
        ref var offsets = ref MemoryMarshal.GetArrayDataReference(m.Offsets);
        var k = 0;
        for (; k + 1 < rows.Length; k += 2)
        {
            int ra = rows[k], rb = rows[k + 1];
            double ga = Unsafe.Add(ref gh, 2 * ra), ha = Unsafe.Add(ref gh, (2 * ra) + 1);
            double gb = Unsafe.Add(ref gh, 2 * rb), hb = Unsafe.Add(ref gh, (2 * rb) + 1);
            ref var ca = ref Unsafe.Add(ref codes, (nint)ra * width);
            ref var cb = ref Unsafe.Add(ref codes, (nint)rb * width);
            for (var f = 0; f < width; f++)
            {
                var off = Unsafe.Add(ref offsets, f);
                ref var sa = ref Unsafe.Add(ref a0, 2 * (off + Unsafe.Add(ref ca, f)));
                ref var sb = ref Unsafe.Add(ref b0, 2 * (off + Unsafe.Add(ref cb, f)));
                sa += ga;
                Unsafe.Add(ref sa, 1) += ha;
                sb += gb;
                Unsafe.Add(ref sb, 1) += hb;
            }
        }

        AccumulateOne(rows[k..], m, gradients, features, hist);
        Add(hist, odd);
    }

    private static void AccumulateOne(ReadOnlySpan<int> rows, BinnedMatrix m, float[] gradients, ReadOnlySpan<int> features, double[] hist)
    {
        var width = m.Features;
        ref var codes = ref MemoryMarshal.GetArrayDataReference(m.Codes);
        ref var gh = ref MemoryMarshal.GetArrayDataReference(gradients);
        ref var h0 = ref MemoryMarshal.GetArrayDataReference(hist);
        ref var offsets = ref MemoryMarshal.GetArrayDataReference(m.Offsets);
        if (features.Length == width)
        {
            foreach (var r in rows)
            {
                double g = Unsafe.Add(ref gh, 2 * r), h = Unsafe.Add(ref gh, (2 * r) + 1);
                ref var rowCodes = ref Unsafe.Add(ref codes, (nint)r * width);
                for (var f = 0; f < width; f++)
                {
                    ref var slot = ref Unsafe.Add(ref h0, 2 * (Unsafe.Add(ref offsets, f) + Unsafe.Add(ref rowCodes, f)));
                    slot += g;
                    Unsafe.Add(ref slot, 1) += h;
                }
            }

            return;
        }

        ref var active = ref MemoryMarshal.GetReference(features);
        foreach (var r in rows)
        {
            double g = Unsafe.Add(ref gh, 2 * r), h = Unsafe.Add(ref gh, (2 * r) + 1);
            ref var rowCodes = ref Unsafe.Add(ref codes, (nint)r * width);
            for (var k = 0; k < features.Length; k++)
            {
                var f = Unsafe.Add(ref active, k);
                ref var slot = ref Unsafe.Add(ref h0, 2 * (Unsafe.Add(ref offsets, f) + Unsafe.Add(ref rowCodes, f)));
                slot += g;
                Unsafe.Add(ref slot, 1) += h;
            }
        }
    }

    public static void Add(double[] target, double[] source)
    {
        var t = target.AsSpan();
        var s = source.AsSpan(0, t.Length);
        for (var i = 0; i < t.Length; i++)
        {
            t[i] += s[i];
        }
    }

    /// <summary>target = parent − child: the larger sibling comes for free from its parent and the smaller sibling.</summary>
    public static void Subtract(double[] parent, double[] child, double[] target)
    {
        var p = parent.AsSpan();
        var c = child.AsSpan(0, p.Length);
        var t = target.AsSpan(0, p.Length);
        for (var i = 0; i < p.Length; i++)
        {
            t[i] = p[i] - c[i];
        }
    }
}

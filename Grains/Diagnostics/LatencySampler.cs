namespace CartRecovery.Grains.Diagnostics;

/// <summary>
/// A fixed ring of recent latency samples (every Nth observation), so live percentiles cost a
/// copy and a sort of a few thousand values, however many calls there were.
/// </summary>
public sealed class LatencySampler(int capacity, int every)
{
    private readonly double[] _ring = new double[capacity];
    private long _written;
    private long _seen;

    public bool ShouldSample() => every <= 1 || Interlocked.Increment(ref _seen) % every == 0;

    public void Add(double seconds)
    {
        var i = Interlocked.Increment(ref _written) - 1;
        _ring[i % _ring.Length] = seconds;
    }

    /// <summary>Percentiles (0..100) of the samples held, in seconds; NaN when there are none.</summary>
    public double[] Percentiles(params double[] ps)
    {
        var n = (int)Math.Min(Interlocked.Read(ref _written), _ring.Length);
        var result = new double[ps.Length];
        if (n == 0)
        {
            Array.Fill(result, double.NaN);
            return result;
        }

        var copy = new double[n];
        Array.Copy(_ring, copy, n);
        Array.Sort(copy);
        for (var i = 0; i < ps.Length; i++)
        {
            result[i] = copy[Math.Clamp((int)Math.Ceiling(ps[i] / 100 * n) - 1, 0, n - 1)];
        }

        return result;
    }
}

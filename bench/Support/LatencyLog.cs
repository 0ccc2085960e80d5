namespace CartRecovery.Bench.Support;

/// <summary>
/// Latency samples from many concurrent loops: each loop owns a list (no sharing on the hot path);
/// percentiles are taken over all of them at the end.
/// </summary>
internal sealed class LatencyLog
{
    private readonly List<List<double>> _lists = new();

    public List<double> NewList(int capacity = 1024)
    {
        var list = new List<double>(capacity);
        lock (_lists)
        {
            _lists.Add(list);
        }

        return list;
    }

    public double[] All()
    {
        lock (_lists)
        {
            return _lists.SelectMany(l => l).ToArray();
        }
    }

    public int Count
    {
        get
        {
            lock (_lists)
            {
                return _lists.Sum(l => l.Count);
            }
        }
    }

    public static double Rank(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

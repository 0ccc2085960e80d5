using System.Diagnostics;

namespace CartRecovery.Bench.Kafka;

/// <summary>
/// (time, records done) samples of one consumer working off a preloaded topic whose first <c>head</c> records are a
/// warm-up. The rate is taken between 10% and 90% of the records after the head, so neither start-up (assignment,
/// first fetches, the JIT compiling the hot code) nor the last stragglers count; the overall rate from the first sample
/// (the consumer started) to the last is kept too.
/// </summary>
internal sealed class Progress(long total, long head = 0)
{
    private readonly List<(long At, long Done)> _samples = [];

    public long Total { get; } = total;

    /// <summary>The warm-up records at the start of the topic, not measured.</summary>
    public long Head { get; } = head;

    public long Done => _samples.Count > 0 ? _samples[^1].Done : 0;

    public bool Complete => Done >= Total;

    public void Add(long done) => _samples.Add((Stopwatch.GetTimestamp(), done));

    /// <summary>Seconds from the first sample to the first one at or above <paramref name="fraction"/> of the total.</summary>
    public double SecondsTo(double fraction)
    {
        if (_samples.Count == 0)
        {
            return double.NaN;
        }

        var target = (long)Math.Ceiling(Total * fraction);
        foreach (var (at, done) in _samples)
        {
            if (done >= target)
            {
                return (at - _samples[0].At) / (double)Stopwatch.Frequency;
            }
        }

        return double.NaN;
    }

    /// <summary>Records per second between 10% and 90% of the records after the head done (interpolated to the sample times).</summary>
    public double SteadyRate => Rate(Fraction(0.1), Fraction(0.9));

    /// <summary>The fraction of the whole topic done when <paramref name="measured"/> of the records after the head are.</summary>
    public double Fraction(double measured) => (Head + measured * (Total - Head)) / Total;

    /// <summary>All records over the time from the first sample to completion.</summary>
    public double OverallRate => Total / SecondsTo(1.0);

    public double Rate(double from, double to)
    {
        var a = SecondsTo(from);
        var b = SecondsTo(to);
        var (da, db) = (DoneAt(a), DoneAt(b));
        return b > a ? (db - da) / (b - a) : double.NaN;
    }

    private long DoneAt(double seconds)
    {
        if (double.IsNaN(seconds))
        {
            return 0;
        }

        var at = _samples[0].At + (long)(seconds * Stopwatch.Frequency);
        return _samples.First(s => s.At >= at).Done;
    }
}

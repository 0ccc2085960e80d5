namespace CartRecovery.Bench.Support;

/// <summary>
/// The longest GC pause while it runs: the runtime keeps the last collection of each kind
/// (ephemeral, full blocking, background), which a thread reads every 10 ms. Two collections of one
/// kind within one read count as the later one only, so the figure is a lower bound.
/// </summary>
internal sealed class GcPauseWatch : IDisposable
{
    private static readonly GCKind[] Kinds = [GCKind.Ephemeral, GCKind.FullBlocking, GCKind.Background];

    private readonly long[] _seen = new long[Kinds.Length];
    private readonly Thread _thread;
    private volatile bool _stop;
    private double _maxMs;

    public GcPauseWatch()
    {
        for (var i = 0; i < Kinds.Length; i++)
        {
            _seen[i] = GC.GetGCMemoryInfo(Kinds[i]).Index;
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "gc pause watch" };
        _thread.Start();
    }

    /// <summary>The longest pause seen so far, in milliseconds.</summary>
    public double MaxMs => Volatile.Read(ref _maxMs);

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    private void Run()
    {
        while (!_stop)
        {
            Thread.Sleep(10);
            for (var i = 0; i < Kinds.Length; i++)
            {
                var info = GC.GetGCMemoryInfo(Kinds[i]);
                if (info.Index == _seen[i])
                {
                    continue;
                }

                _seen[i] = info.Index;
                var pause = 0.0;
                foreach (var part in info.PauseDurations)
                {
                    pause += part.TotalMilliseconds;
                }

                if (pause > _maxMs)
                {
                    Volatile.Write(ref _maxMs, pause);
                }
            }
        }
    }
}

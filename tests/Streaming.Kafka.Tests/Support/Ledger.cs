using System.Collections.Concurrent;

namespace CartRecovery.Streaming.Kafka.Tests.Support;

/// <summary>
/// What the consumer grains of one test run saw, completed deliveries only, plus hooks to hold or fail a delivery.
/// Grains of every silo of an in-process cluster write here (one process), so a test sees the whole cluster.
/// </summary>
public sealed class Ledger
{
    private static readonly ConcurrentDictionary<string, Ledger> Runs = new();
    private readonly Lock _gate = new();
    private readonly List<(string Key, string Id, string Silo)> _applied = [];
    private readonly ConcurrentDictionary<string, TaskCompletionSource<bool>> _holds = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _failing = new();

    private Ledger(string run) => Run = run;

    public string Run { get; }

    public Signal Changed { get; } = new();

    public static Ledger Create() => Runs.GetOrAdd(Guid.NewGuid().ToString("N")[..12], id => new Ledger(id));

    public static Ledger Of(string run) => Runs[run];

    public TestEvent Event(string key, string id) => new() { Key = key, Id = id, Run = Run };

    /// <summary>Deliveries of <paramref name="id"/> wait until <see cref="Release"/>.</summary>
    public void Hold(string id)
    {
        _holds[id] = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _started[id] = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Lets held deliveries of <paramref name="id"/> complete, or fail (<paramref name="complete"/> false).</summary>
    public void Release(string id, bool complete = true)
    {
        if (_holds.TryRemove(id, out var hold))
        {
            hold.TrySetResult(complete);
        }
    }

    public Task HoldReached(string id) => _started[id].Task;

    /// <summary>Every delivery of <paramref name="id"/> fails.</summary>
    public void FailAlways(string id) => _failing[id] = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once a delivery of <paramref name="id"/> was refused.</summary>
    public Task Refused(string id) => _failing[id].Task;

    /// <summary>Called by the grain before it applies <paramref name="e"/>; false means "fail this delivery".</summary>
    public async Task<bool> BeforeApplyAsync(TestEvent e)
    {
        if (_failing.TryGetValue(e.Id, out var refused))
        {
            refused.TrySetResult();
            return false;
        }

        if (_holds.TryGetValue(e.Id, out var hold))
        {
            _started[e.Id].TrySetResult();
            return await hold.Task;
        }

        return true;
    }

    public void Applied(TestEvent e, string silo)
    {
        lock (_gate)
        {
            _applied.Add((e.Key, e.Id, silo));
        }

        Changed.Pulse();
    }

    public IReadOnlyList<(string Key, string Id, string Silo)> Applications
    {
        get
        {
            lock (_gate)
            {
                return [.. _applied];
            }
        }
    }

    public int Count(string id) => Applications.Count(a => a.Id == id);

    public int Distinct => Applications.Select(a => a.Id).Distinct().Count();

    public Task WaitForAsync(Func<Ledger, bool> condition, string what, TimeSpan? timeout = null) =>
        Changed.WaitUntilAsync(() => condition(this), what, timeout);
}

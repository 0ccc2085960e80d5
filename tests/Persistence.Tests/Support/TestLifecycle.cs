using Orleans;
using Orleans.Runtime;

namespace CartRecovery.Persistence.Tests.Support;

// A silo lifecycle without a silo: starts observers by ascending stage and stops them in reverse.
internal sealed class TestLifecycle : ISiloLifecycle
{
    private readonly List<(int Stage, ILifecycleObserver Observer)> _observers = [];

    public int HighestCompletedStage { get; private set; } = int.MinValue;

    public int LowestStoppedStage { get; private set; } = int.MaxValue;

    public IDisposable Subscribe(string observerName, int stage, ILifecycleObserver observer)
    {
        _observers.Add((stage, observer));
        return new Unsubscriber(() => _observers.RemoveAll(o => o.Observer == observer));
    }

    public async Task StartAsync()
    {
        foreach (var (stage, observer) in _observers.OrderBy(o => o.Stage))
        {
            await observer.OnStart(CancellationToken.None);
            HighestCompletedStage = stage;
        }
    }

    public async Task StopAsync()
    {
        foreach (var (stage, observer) in _observers.OrderByDescending(o => o.Stage))
        {
            await observer.OnStop(CancellationToken.None);
            LowestStoppedStage = stage;
        }
    }

    private sealed class Unsubscriber(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}

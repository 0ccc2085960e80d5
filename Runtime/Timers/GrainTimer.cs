using CartRecovery.Runtime.Diagnostics;
namespace CartRecovery.Runtime.Timers;

/// <summary>
/// A grain timer: each tick runs as a turn of its activation. Ticks never overlap; one that finds
/// the previous still running is skipped. Dies with the activation.
/// </summary>
internal sealed class GrainTimer : IDisposable
{
    private readonly GrainActivation _activation;
    private readonly Func<CancellationToken, Task> _callback;
    private readonly ITimer _timer;
    private int _running;
    private volatile bool _disposed;

    public GrainTimer(GrainActivation activation, Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period)
    {
        _activation = activation;
        _callback = callback;
        _timer = activation.Runtime.Time.CreateTimer(_ => Tick(), null, dueTime, period <= TimeSpan.Zero ? Timeout.InfiniteTimeSpan : period);
    }

    private void Tick()
    {
        if (_disposed || Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }

        _ = RunAsync();
    }

    private async Task RunAsync()
    {
        try
        {
            await _activation.Runtime.RunTurnAsync(_activation, (_, ct) => _disposed ? Task.CompletedTask : _callback(ct));
        }
        catch (Exception e)
        {
            _activation.Runtime.Log.TimerFailed(e, _activation.Id.ToString());
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _timer.Dispose();
        _activation.RemoveTimer(this);
    }
}

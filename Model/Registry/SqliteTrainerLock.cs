namespace CartRecovery.Model.Registry;

/// <summary>Holds the SQLite lock row, renewing its lease at a third of its length until disposed.</summary>
internal sealed class SqliteTrainerLock : ITrainerLock
{
    private readonly SqliteModelRegistry _registry;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;
    private int _disposed;

    public SqliteTrainerLock(SqliteModelRegistry registry, string holder)
    {
        _registry = registry;
        Holder = holder;
        _renewal = RenewAsync();
    }

    public string Holder { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        await _renewal;
        _stop.Dispose();
        await _registry.ReleaseAsync(Holder);
    }

    private async Task RenewAsync()
    {
        using var timer = new PeriodicTimer(_registry.LockLease / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    await _registry.RenewAsync(Holder, _stop.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed renewal is retried on the next tick; the lease covers two more attempts.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposal stops renewal.
        }
    }
}

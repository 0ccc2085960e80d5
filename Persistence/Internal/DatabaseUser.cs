namespace CartRecovery.Persistence.Internal;

// One provider's hold on its database: opened at silo start (or by the first call, for hosts
// without a silo lifecycle), closed at stop. A failed open is retried by the next call. The
// database is looked up on first use: Orleans builds providers before it validates their options,
// and nothing (a data source, a directory) may be created from options not yet validated.
// A sole writer (SoleWriter) has the database keep its filter of stored keys.
internal sealed class DatabaseUser(Func<StorageDatabase> lookup, bool createSchema, string name, bool soleWriter = false)
{
    private readonly object _lock = new();
    private readonly Lazy<StorageDatabase> _database = new(lookup);
    private Task? _open;
    private bool _closed;

    public StorageDatabase Database => _database.Value;

    public string Name => name;

    public Task EnsureOpenAsync(CancellationToken cancellationToken)
    {
        var open = Volatile.Read(ref _open);
        if (open is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask;
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_open is null || _open.IsFaulted || _open.IsCanceled)
            {
                _open = Database.OpenAsync(createSchema, name, soleWriter, cancellationToken);
            }

            return _open;
        }
    }

    public async Task CloseAsync()
    {
        Task? open;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            open = _open;
        }

        if (open is not null && await SucceededAsync(open).ConfigureAwait(false))
        {
            await Database.CloseAsync(name).ConfigureAwait(false);
        }
    }

    private static async Task<bool> SucceededAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
            return true;
        }
        catch
        {
            return false;
        }
    }
}

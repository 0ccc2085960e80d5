using CartRecovery.Persistence.Diagnostics;
using CartRecovery.Persistence.Internal.Reads;
using CartRecovery.Persistence.Internal.Writes;
using CartRecovery.Persistence.Migrations;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Persistence.Internal;

// One database as the providers see it: its single group-commit writer, its read coalescer and
// its queries. Grain storages and the reminder table on the same database share one instance, so
// a cart's state write and its reminder registration can land in the same transaction. Opened by
// each user at silo start (the schema is checked or migrated then) and closed when the last user
// stops, after the writer flushed what was queued.
internal abstract partial class StorageDatabase : IAsyncDisposable
{
    private static readonly Task<StoredState?> NoState = Task.FromResult<StoredState?>(null);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly StorageInstruments _instruments;
    private readonly ReadCoalescer _reads;
    private GroupCommitWriter? _writer;
    private int _users;
    private bool _schemaMigrated;
    private bool _schemaChecked;
    private volatile bool _stopped;

    // With a sole writer: the keys of the stored states (filled while it opens, then as states are
    // inserted), and whether the filling is done, after which a key it lacks has no state.
    private StoredKeyFilter? _keys;
    private volatile bool _keysComplete;

    protected StorageDatabase(DatabaseSettings settings, IStateReader reader, bool startReadsInline, StorageInstruments instruments, ILoggerFactory loggers)
    {
        Settings = settings;
        _instruments = instruments;
        Loggers = loggers;
        Logger = loggers.CreateLogger(GetType());
        _reads = new ReadCoalescer(reader, settings.MaxBatchSize, startReadsInline, instruments, settings.Provider);
    }

    public DatabaseSettings Settings { get; }

    // Whether the driver takes state payloads as strings (else as UTF-8 bytes).
    public abstract bool TakesTextPayload { get; }

    protected ILoggerFactory Loggers { get; }

    protected ILogger Logger { get; }

    // Registers a user: checks (or, with createSchema, migrates) the schema and starts the writer.
    // A sole writer (this process is the only one that writes states here) also has the stored
    // keys loaded; every storage of the database should then say so, before any of them writes.
    public async Task OpenAsync(bool createSchema, string user, bool soleWriter, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            await PrepareSchemaAsync(createSchema, user, cancellationToken).ConfigureAwait(false);
            if (_writer is null)
            {
                _writer = new GroupCommitWriter(CreateCommitter(), Settings.MaxBatchSize, _instruments, Settings.Provider, Loggers.CreateLogger<GroupCommitWriter>());
                _writer.Start();
            }

            if (soleWriter && _keys is null)
            {
                await LoadKeysAsync(cancellationToken).ConfigureAwait(false);
            }

            _users++;
            Log.Opened(Logger, Settings.Provider, user, _users);
        }
        finally
        {
            _gate.Release();
        }
    }

    // Unregisters a user; the last one out flushes the writer and closes the connections.
    public async Task CloseAsync(string user)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _users--;
            Log.Closed(Logger, Settings.Provider, user, _users);
            if (_users <= 0)
            {
                await StopAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<StoredState?> ReadAsync(StateKey key)
    {
        if (_stopped)
        {
            return Task.FromException<StoredState?>(new ObjectDisposedException(GetType().Name));
        }

        if (_keysComplete && !_keys!.MayContain(key))
        {
            // Never stored: answered without a query, counted with the reads (the queries' series
            // is touched too, so it is exported at 0 rather than missing).
            var provider = new KeyValuePair<string, object?>(StorageMetrics.ProviderTag, Settings.Provider);
            _instruments.Reads.Add(1, provider);
            _instruments.ReadQueries.Add(0, provider);
            return NoState;
        }

        return _reads.ReadAsync(key);
    }

    // Queues a write for the next transaction; completes after it committed.
    public Task WriteAsync(WriteOp op)
    {
        if (_keys is { } keys && op is StateWriteOp { IsClear: false, ExpectedVersion: null } insert)
        {
            // A first write inserts the row: known from now on, before it commits, so no read misses it.
            keys.Add(insert.Key);
        }

        return _writer?.EnqueueAsync(op) ?? Task.FromException(new InvalidOperationException("The storage is not open yet (it opens at silo start)."));
    }

    public abstract IAsyncEnumerable<(string Key, string Json)> ScanAsync(string grainType, string stateName, CancellationToken cancellationToken);

    // Every stored grain state's key (whatever its type and state name), in no particular order.
    public abstract IAsyncEnumerable<StateKey> ScanKeysAsync(CancellationToken cancellationToken);

    public abstract IAsyncEnumerable<(long Sequence, byte[] Payload)> ReadJournalAsync(long from, long to, CancellationToken cancellationToken);

    public abstract Task<IReadOnlyList<string>> FindKeysAsync(string grainType, string keySuffix, CancellationToken cancellationToken);

    public abstract Task<bool> PingAsync(CancellationToken cancellationToken);

    public abstract Task<IReadOnlyList<ReminderRow>> ReadRemindersAsync(ReminderQuery query, CancellationToken cancellationToken);

    public abstract Task ClearRemindersAsync(string serviceId, CancellationToken cancellationToken);

    protected abstract IBatchCommitter CreateCommitter();

    protected abstract ValueTask CloseConnectionsAsync();

    // Keys inserted from the moment the filter exists are added as they are written; those stored
    // before are read from the table.
    private async Task LoadKeysAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var keys = _keys = new StoredKeyFilter(1 << 20);
        try
        {
            await foreach (var key in ScanKeysAsync(cancellationToken).ConfigureAwait(false))
            {
                keys.Add(key);
            }
        }
        catch
        {
            // The open fails; the next one (a retry) loads the keys again from the start.
            _keys = null;
            throw;
        }

        _keysComplete = true;
        Log.KeysLoaded(Logger, Settings.Provider, keys.Count, started.Elapsed.TotalSeconds);
    }

    private async Task PrepareSchemaAsync(bool createSchema, string user, CancellationToken cancellationToken)
    {
        if (createSchema && !_schemaMigrated)
        {
            var report = await StorageMigrator.MigrateAsync(Settings.Provider, Settings.ConnectionString, cancellationToken).ConfigureAwait(false);
            Log.SchemaMigrated(Logger, Settings.Provider, report.FromVersion, report.ToVersion);
            _schemaMigrated = _schemaChecked = true;
        }
        else if (!_schemaChecked)
        {
            var version = await StorageMigrator.SchemaVersionAsync(Settings.Provider, Settings.ConnectionString, cancellationToken).ConfigureAwait(false);
            if (version != StorageMigrator.LatestVersion)
            {
                throw new InvalidOperationException(
                    $"{user}: the {Settings.Provider} database is at schema version {version}, this build needs version {StorageMigrator.LatestVersion}. " +
                    (version < StorageMigrator.LatestVersion
                        ? "Run the silo's `migrate` command (the Helm pre-upgrade hook does) or set CreateSchema = true."
                        : "The database was migrated by a newer build; upgrade the application."));
            }

            _schemaChecked = true;
        }
    }

    private async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        if (_writer is not null)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }

        await CloseConnectionsAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}

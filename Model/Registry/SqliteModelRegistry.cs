using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace CartRecovery.Model.Registry;

/// <summary>
/// Registry in a SQLite file. Promotions run under BEGIN IMMEDIATE (SQLite's single writer lock);
/// the trainer lock is a leased row in model_trainer_lock, renewed while held so a crashed holder
/// frees it after <see cref="LockLease"/>.
/// </summary>
public sealed class SqliteModelRegistry : SqlModelRegistry
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    public SqliteModelRegistry(string connectionString, TimeSpan? lockLease = null, TimeProvider? time = null)
        : base(time)
    {
        _connectionString = new SqliteConnectionStringBuilder(connectionString) { ForeignKeys = true }.ToString();
        LockLease = lockLease ?? TimeSpan.FromMinutes(5);
        _time = time ?? TimeProvider.System;
    }

    public TimeSpan LockLease { get; }

    public override async Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        await using var conn = (SqliteConnection)await OpenAsync(cancellationToken);

        // WAL lets readers (silos loading the active model) proceed while a trainer writes.
        await using (var wal = Command(conn, null, "PRAGMA journal_mode=WAL"))
        {
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var cmd = Command(conn, null, """
            CREATE TABLE IF NOT EXISTS model_versions (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                algorithm TEXT NOT NULL,
                features TEXT NOT NULL,
                hyper_parameters TEXT NOT NULL,
                training_from TEXT NULL,
                training_to TEXT NULL,
                metrics TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('candidate', 'active', 'retired')),
                created_at TEXT NOT NULL,
                payload BLOB NOT NULL
            );
            CREATE UNIQUE INDEX IF NOT EXISTS model_versions_single_active ON model_versions (status) WHERE status = 'active';
            CREATE TABLE IF NOT EXISTS model_trainer_lock (
                name TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                expires_at INTEGER NOT NULL
            );
            """);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task<ITrainerLock?> TryAcquireTrainerLockAsync(CancellationToken cancellationToken = default)
    {
        var holder = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        await using var conn = await OpenAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var expire = Command(conn, tx, "DELETE FROM model_trainer_lock WHERE name = 'trainer' AND expires_at < @now"))
        {
            Add(expire, "@now", now);
            await expire.ExecuteNonQueryAsync(cancellationToken);
        }

        int inserted;
        await using (var take = Command(conn, tx, "INSERT INTO model_trainer_lock (name, holder, expires_at) VALUES ('trainer', @holder, @expires) ON CONFLICT (name) DO NOTHING"))
        {
            Add(take, "@holder", holder);
            Add(take, "@expires", now + (long)LockLease.TotalMilliseconds);
            inserted = await take.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return inserted == 1 ? new SqliteTrainerLock(this, holder) : null;
    }

    /// <summary>Extends the lease; false if the lock was lost (expired and taken by another holder).</summary>
    internal async Task<bool> RenewAsync(string holder, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = Command(conn, null, "UPDATE model_trainer_lock SET expires_at = @expires WHERE name = 'trainer' AND holder = @holder");
        Add(cmd, "@holder", holder);
        Add(cmd, "@expires", _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)LockLease.TotalMilliseconds);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    internal async Task ReleaseAsync(string holder)
    {
        await using var conn = await OpenAsync(CancellationToken.None);
        await using var cmd = Command(conn, null, "DELETE FROM model_trainer_lock WHERE name = 'trainer' AND holder = @holder");
        Add(cmd, "@holder", holder);
        await cmd.ExecuteNonQueryAsync();
    }

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var conn = new SqliteConnection(_connectionString);
        await conn.OpenAsync(cancellationToken);
        return conn;
    }

    /// <summary>Microsoft.Data.Sqlite begins IMMEDIATE: the write lock is taken before the reads, so promotions serialise.</summary>
    protected override async Task<DbTransaction> BeginPromotionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(cancellationToken);

    protected override string Json(string parameter) => parameter;

    protected override object TimeValue(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        DateTimeOffset.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}

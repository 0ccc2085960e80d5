using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace CartRecovery.Runtime.Storage.Sqlite;

/// <summary>
/// The embedded provider: one SQLite file in WAL mode. Write transactions are IMMEDIATE, so the
/// epoch read at the start of a checkpoint cannot change before it commits.
/// </summary>
public sealed class SqliteGrainStorage : IGrainStorage
{
    private readonly string _connectionString;

    public SqliteGrainStorage(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true, DefaultTimeout = 30 };
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:")
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(file));
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
            }
        }

        _connectionString = builder.ToString();
    }

    public string ProviderName => "Sqlite";

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var conn = new SqliteConnection(_connectionString);
        await conn.OpenAsync(ct);
        return conn;
    }

    private static SqliteCommand Cmd(SqliteConnection conn, string sql, SqliteTransaction? tx = null, params (string Name, object? Value)[] args)
    {
        var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using (var wal = Cmd(conn, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"))
        {
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(cancellationToken);
        await using (var create = Cmd(conn, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)", tx))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        long current;
        await using (var read = Cmd(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", tx))
        {
            current = (long)(await read.ExecuteScalarAsync(cancellationToken))!;
        }

        if (current > Migrations.Latest)
        {
            throw new InvalidOperationException($"database schema version {current} is newer than this build understands ({Migrations.Latest}); upgrade the application");
        }

        foreach (var m in Migrations.All.Where(m => m.Version > current))
        {
            await using var apply = Cmd(conn, m.Sqlite, tx);
            await apply.ExecuteNonQueryAsync(cancellationToken);
            await using var record = Cmd(conn, "INSERT INTO schema_migrations VALUES ($v, $d, $t)", tx, ("$v", m.Version), ("$d", m.Description), ("$t", Now()));
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    public async Task<int> SchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using var cmd = Cmd(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(cancellationToken));
    }

    public async Task<StoredState?> ReadAsync(string grainType, string grainKey, string stateName, CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using var cmd = Cmd(conn, "SELECT payload, version FROM grain_state WHERE grain_type=$t AND grain_key=$k AND state_name=$s", null,
            ("$t", grainType), ("$k", grainKey), ("$s", stateName));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new StoredState(reader.GetString(0), reader.GetInt64(1)) : null;
    }

    public async Task<long[]> WriteCheckpointAsync(Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(cancellationToken);
        var fence = checkpoint.Fence;
        await using (var epoch = Cmd(conn, "SELECT epoch FROM partitions WHERE partition=$p", tx, ("$p", fence.Partition)))
        {
            var current = (long?)await epoch.ExecuteScalarAsync(cancellationToken);
            if (current != fence.Epoch)
            {
                throw new StalePartitionEpochException(fence.Partition, fence.Epoch, current);
            }
        }

        var versions = new long[checkpoint.States.Count];
        var now = Now();
        await using var update = Cmd(conn, "UPDATE grain_state SET payload=$j, version=version+1, updated_at=$n, partition=$p WHERE grain_type=$t AND grain_key=$k AND state_name=$s AND version=$v", tx,
            ("$j", ""), ("$n", now), ("$p", fence.Partition), ("$t", ""), ("$k", ""), ("$s", ""), ("$v", 0L));
        await using var insert = Cmd(conn, "INSERT INTO grain_state (grain_type, grain_key, state_name, partition, version, payload, updated_at) VALUES ($t, $k, $s, $p, 1, $j, $n) ON CONFLICT DO NOTHING", tx,
            ("$t", ""), ("$k", ""), ("$s", ""), ("$p", fence.Partition), ("$j", ""), ("$n", now));
        await using var delete = Cmd(conn, "DELETE FROM grain_state WHERE grain_type=$t AND grain_key=$k AND state_name=$s AND version=$v", tx,
            ("$t", ""), ("$k", ""), ("$s", ""), ("$v", 0L));
        for (var i = 0; i < checkpoint.States.Count; i++)
        {
            var w = checkpoint.States[i];
            SqliteCommand cmd;
            if (w.IsDelete)
            {
                cmd = delete;
                cmd.Parameters["$v"].Value = w.ExpectedVersion ?? 0L;
                versions[i] = 0;
            }
            else if (w.ExpectedVersion is null)
            {
                cmd = insert;
                cmd.Parameters["$j"].Value = w.Json;
                versions[i] = 1;
            }
            else
            {
                cmd = update;
                cmd.Parameters["$j"].Value = w.Json;
                cmd.Parameters["$v"].Value = w.ExpectedVersion.Value;
                versions[i] = w.ExpectedVersion.Value + 1;
            }

            cmd.Parameters["$t"].Value = w.GrainType;
            cmd.Parameters["$k"].Value = w.GrainKey;
            cmd.Parameters["$s"].Value = w.StateName;
            var rows = await cmd.ExecuteNonQueryAsync(cancellationToken);
            if (rows != 1 && !(w.IsDelete && w.ExpectedVersion is null))
            {
                var stored = await ReadVersionAsync(conn, tx, w, cancellationToken);
                throw Conflict(w, stored);
            }
        }

        foreach (var change in checkpoint.Reminders)
        {
            var r = change.Row;
            await using var cmd = change.Delete
                ? Cmd(conn, "DELETE FROM reminders WHERE grain_type=$t AND grain_key=$k AND name=$n", tx, ("$t", r.GrainType), ("$k", r.GrainKey), ("$n", r.Name))
                : Cmd(conn, "INSERT INTO reminders VALUES ($t, $k, $n, $p, $d, $per) ON CONFLICT (grain_type, grain_key, name) DO UPDATE SET partition=excluded.partition, due_at=excluded.due_at, period_ms=excluded.period_ms", tx,
                    ("$t", r.GrainType), ("$k", r.GrainKey), ("$n", r.Name), ("$p", fence.Partition), ("$d", r.DueAt.ToUnixTimeMilliseconds()), ("$per", r.Period is { } p ? (long)p.TotalMilliseconds : null));
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        if (checkpoint.Offset is { } offset)
        {
            await using var cmd = Cmd(conn, "UPDATE partitions SET event_offset=$o, updated_at=$n WHERE partition=$p", tx, ("$o", offset), ("$n", now), ("$p", fence.Partition));
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return versions;
    }

    private static async Task<long?> ReadVersionAsync(SqliteConnection conn, SqliteTransaction tx, StateWrite w, CancellationToken ct)
    {
        await using var cmd = Cmd(conn, "SELECT version FROM grain_state WHERE grain_type=$t AND grain_key=$k AND state_name=$s", tx,
            ("$t", w.GrainType), ("$k", w.GrainKey), ("$s", w.StateName));
        return (long?)await cmd.ExecuteScalarAsync(ct);
    }

    internal static InconsistentStateException Conflict(StateWrite w, long? stored) =>
        new($"{w}: write expected version {w.ExpectedVersion?.ToString() ?? "none (new record)"} but storage holds {stored?.ToString() ?? "no record"}",
            w.ExpectedVersion?.ToString(), stored?.ToString(), w.ToString());

    public async Task<PartitionLease> AcquirePartitionAsync(int partition, string owner, CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using var cmd = Cmd(conn, """
            INSERT INTO partitions (partition, owner, epoch, updated_at) VALUES ($p, $o, 1, $n)
            ON CONFLICT (partition) DO UPDATE SET owner=excluded.owner, epoch=partitions.epoch+1, updated_at=excluded.updated_at
            RETURNING epoch, event_offset
            """, null, ("$p", partition), ("$o", owner), ("$n", Now()));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new PartitionLease(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1));
    }

    public async Task ReleasePartitionAsync(PartitionFence fence, CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using var cmd = Cmd(conn, "UPDATE partitions SET owner=NULL, updated_at=$n WHERE partition=$p AND epoch=$e", null,
            ("$n", Now()), ("$p", fence.Partition), ("$e", fence.Epoch));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<PartitionRow>> ListPartitionsAsync(CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using var cmd = Cmd(conn, "SELECT partition, owner, epoch, event_offset, updated_at FROM partitions ORDER BY partition");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var rows = new List<PartitionRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new PartitionRow(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetInt64(3), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4))));
        }

        return rows;
    }

    public async Task<IReadOnlyList<ReminderRow>> LoadRemindersAsync(int partition, CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using var cmd = Cmd(conn, "SELECT grain_type, grain_key, name, due_at, period_ms FROM reminders WHERE partition=$p", null, ("$p", partition));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var rows = new List<ReminderRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ReminderRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                reader.IsDBNull(4) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(4))));
        }

        return rows;
    }

    public async IAsyncEnumerable<(string GrainKey, string Json)> ScanAsync(string grainType, string stateName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using var cmd = Cmd(conn, "SELECT grain_key, payload FROM grain_state WHERE grain_type=$t AND state_name=$s", null, ("$t", grainType), ("$s", stateName));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (reader.GetString(0), reader.GetString(1));
        }
    }

    public async Task<IReadOnlyList<string>> FindKeysAsync(string grainType, string suffix, CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using var cmd = Cmd(conn, "SELECT DISTINCT grain_key FROM grain_state WHERE grain_type=$t AND (grain_key=$s OR substr(grain_key, -length($s) - 1)='/' || $s) LIMIT 20", null,
            ("$t", grainType), ("$s", suffix));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var keys = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    public async Task UpsertSiloAsync(SiloRow silo, CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using var cmd = Cmd(conn, """
            INSERT INTO silos VALUES ($id, $url, $s, $h, $p)
            ON CONFLICT (silo_id) DO UPDATE SET internal_url=excluded.internal_url, heartbeat_at=excluded.heartbeat_at, partitions=excluded.partitions
            """, null, ("$id", silo.SiloId), ("$url", silo.InternalUrl), ("$s", silo.StartedAt.ToUnixTimeMilliseconds()),
            ("$h", silo.HeartbeatAt.ToUnixTimeMilliseconds()), ("$p", string.Join(',', silo.Partitions)));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RemoveSiloAsync(string siloId, CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using var cmd = Cmd(conn, "DELETE FROM silos WHERE silo_id=$id", null, ("$id", siloId));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<SiloRow>> ListSilosAsync(CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using var cmd = Cmd(conn, "SELECT silo_id, internal_url, started_at, heartbeat_at, partitions FROM silos ORDER BY silo_id");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var rows = new List<SiloRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var parts = reader.GetString(4).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            rows.Add(new SiloRow(reader.GetString(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), parts));
        }

        return rows;
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var conn = await OpenAsync(cancellationToken);
            await using var cmd = Cmd(conn, "SELECT 1");
            await cmd.ExecuteScalarAsync(cancellationToken);
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}

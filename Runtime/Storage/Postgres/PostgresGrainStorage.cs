using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace CartRecovery.Runtime.Storage.Postgres;

/// <summary>
/// PostgreSQL provider (jsonb payload + bigint version). A checkpoint is one NpgsqlBatch: the
/// partition row is read FOR SHARE first, so a concurrent acquire (an UPDATE of the same row)
/// waits until the checkpoint has committed or rolled back, and the epoch seen is the one that
/// decides. States travel as arrays through unnest(), so thousands of grains cost one round trip.
/// </summary>
public sealed class PostgresGrainStorage(NpgsqlDataSource dataSource) : IGrainStorage
{
    // Serializes concurrent migrations from silos starting together.
    private const long MigrationLockKey = 0x43525F4D494752; // "CR_MIGR"

    public PostgresGrainStorage(string connectionString)
        : this(NpgsqlDataSource.Create(WithPoolDefaults(connectionString)))
    {
    }

    /// <summary>
    /// Bounds the pool unless the connection string says otherwise: a burst of activations must
    /// queue for connections rather than exhaust the server's max_connections across silos.
    /// </summary>
    private static string WithPoolDefaults(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Maximum Pool Size", StringComparison.OrdinalIgnoreCase) && !connectionString.Contains("Max Pool Size", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxPoolSize = 16;
        }

        // A silo frozen inside a checkpoint (SIGSTOP, a long GC pause, a partitioned VM) keeps its
        // transaction and the partition row lock open; the server ends such transactions so the new
        // owner's acquire is not blocked. The zombie's late commit then fails, as fencing requires.
        if (string.IsNullOrEmpty(builder.Options))
        {
            builder.Options = "-c idle_in_transaction_session_timeout=5000";
        }

        return builder.ConnectionString;
    }

    public string ProviderName => "Postgres";

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        await Exec(conn, tx, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken);
        await Exec(conn, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken);
        await using var read = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", conn, tx);
        var current = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken));
        if (current > Migrations.Latest)
        {
            throw new InvalidOperationException($"database schema version {current} is newer than this build understands ({Migrations.Latest}); upgrade the application");
        }

        foreach (var m in Migrations.All.Where(m => m.Version > current))
        {
            await Exec(conn, tx, m.Postgres, cancellationToken);
            await using var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, description) VALUES ($1, $2)", conn, tx)
            {
                Parameters = { new() { Value = m.Version }, new() { Value = m.Description } },
            };
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    private static async Task Exec(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<int> SchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(cancellationToken));
    }

    public async Task<StoredState?> ReadAsync(string grainType, string grainKey, string stateName, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT payload::text, version FROM grain_state WHERE grain_type=$1 AND grain_key=$2 AND state_name=$3");
        cmd.Parameters.Add(new() { Value = grainType });
        cmd.Parameters.Add(new() { Value = grainKey });
        cmd.Parameters.Add(new() { Value = stateName });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new StoredState(reader.GetString(0), reader.GetInt64(1)) : null;
    }

    public async Task<long[]> WriteCheckpointAsync(Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        var fence = checkpoint.Fence;
        var updates = new List<int>();
        var inserts = new List<int>();
        var deletes = new List<int>();
        for (var i = 0; i < checkpoint.States.Count; i++)
        {
            var w = checkpoint.States[i];
            (w.IsDelete ? (w.ExpectedVersion is null ? null : deletes) : w.ExpectedVersion is null ? inserts : updates)?.Add(i);
        }

        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(conn, tx);
        batch.BatchCommands.Add(Command("SELECT epoch FROM partitions WHERE partition=$1 FOR SHARE", fence.Partition));
        if (updates.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                UPDATE grain_state g SET payload=u.p::jsonb, version=g.version+1, updated_at=now(), partition=$6
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS u(t, k, s, p, v)
                WHERE g.grain_type=u.t AND g.grain_key=u.k AND g.state_name=u.s AND g.version=u.v
                RETURNING g.grain_type, g.grain_key, g.state_name
                """, Col(checkpoint, updates, w => w.GrainType), Col(checkpoint, updates, w => w.GrainKey), Col(checkpoint, updates, w => w.StateName),
                Col(checkpoint, updates, w => w.Json!), updates.Select(i => checkpoint.States[i].ExpectedVersion!.Value).ToArray(), fence.Partition));
        }

        if (inserts.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO grain_state (grain_type, grain_key, state_name, partition, version, payload)
                SELECT u.t, u.k, u.s, $5, 1, u.p::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(t, k, s, p)
                ON CONFLICT DO NOTHING
                RETURNING grain_type, grain_key, state_name
                """, Col(checkpoint, inserts, w => w.GrainType), Col(checkpoint, inserts, w => w.GrainKey), Col(checkpoint, inserts, w => w.StateName),
                Col(checkpoint, inserts, w => w.Json!), fence.Partition));
        }

        if (deletes.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                DELETE FROM grain_state g USING unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u(t, k, s, v)
                WHERE g.grain_type=u.t AND g.grain_key=u.k AND g.state_name=u.s AND g.version=u.v
                RETURNING g.grain_type, g.grain_key, g.state_name
                """, Col(checkpoint, deletes, w => w.GrainType), Col(checkpoint, deletes, w => w.GrainKey), Col(checkpoint, deletes, w => w.StateName),
                deletes.Select(i => checkpoint.States[i].ExpectedVersion!.Value).ToArray()));
        }

        var upserts = checkpoint.Reminders.Where(r => !r.Delete).Select(r => r.Row).ToArray();
        if (upserts.Length > 0)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO reminders (grain_type, grain_key, name, partition, due_at, period_ms)
                SELECT u.t, u.k, u.n, $6, u.d, u.p FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bigint[]) AS u(t, k, n, d, p)
                ON CONFLICT (grain_type, grain_key, name) DO UPDATE SET partition=excluded.partition, due_at=excluded.due_at, period_ms=excluded.period_ms
                """, upserts.Select(r => r.GrainType).ToArray(), upserts.Select(r => r.GrainKey).ToArray(), upserts.Select(r => r.Name).ToArray(),
                upserts.Select(r => r.DueAt.UtcDateTime).ToArray(), upserts.Select(r => r.Period is { } p ? (long?)p.TotalMilliseconds : null).ToArray(), fence.Partition));
        }

        var removals = checkpoint.Reminders.Where(r => r.Delete).Select(r => r.Row).ToArray();
        if (removals.Length > 0)
        {
            batch.BatchCommands.Add(Command("""
                DELETE FROM reminders r USING unnest($1::text[], $2::text[], $3::text[]) AS u(t, k, n)
                WHERE r.grain_type=u.t AND r.grain_key=u.k AND r.name=u.n
                """, removals.Select(r => r.GrainType).ToArray(), removals.Select(r => r.GrainKey).ToArray(), removals.Select(r => r.Name).ToArray()));
        }

        if (checkpoint.Offset is { } offset)
        {
            batch.BatchCommands.Add(Command("UPDATE partitions SET event_offset=$1, updated_at=now() WHERE partition=$2", offset, fence.Partition));
        }

        var applied = new HashSet<(string, string, string)>();
        long? epoch = null;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                epoch = reader.GetInt64(0);
            }

            while (await reader.NextResultAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
                }
            }
        }

        if (epoch != fence.Epoch)
        {
            await tx.RollbackAsync(cancellationToken);
            throw new StalePartitionEpochException(fence.Partition, fence.Epoch, epoch);
        }

        var versions = new long[checkpoint.States.Count];
        for (var i = 0; i < checkpoint.States.Count; i++)
        {
            var w = checkpoint.States[i];
            if (w.IsDelete && w.ExpectedVersion is null)
            {
                continue;
            }

            if (!applied.Contains((w.GrainType, w.GrainKey, w.StateName)))
            {
                await tx.RollbackAsync(cancellationToken);
                var stored = await ReadAsync(w.GrainType, w.GrainKey, w.StateName, cancellationToken);
                throw Sqlite.SqliteGrainStorage.Conflict(w, stored?.Version);
            }

            versions[i] = w.IsDelete ? 0 : (w.ExpectedVersion ?? 0) + 1;
        }

        await tx.CommitAsync(cancellationToken);
        return versions;
    }

    private static string[] Col(Checkpoint c, List<int> rows, Func<StateWrite, string> pick)
    {
        var values = new string[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            values[i] = pick(c.States[rows[i]]);
        }

        return values;
    }

    private static NpgsqlBatchCommand Command(string sql, params object?[] args)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        foreach (var a in args)
        {
            cmd.Parameters.Add(a switch
            {
                long?[] nullable => new NpgsqlParameter { Value = nullable, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
                _ => new NpgsqlParameter { Value = a ?? DBNull.Value },
            });
        }

        return cmd;
    }

    /// <summary>How long an acquire waits on a previous owner's open checkpoint before ending that session.</summary>
    public static TimeSpan AcquireBlockedAfter { get; set; } = TimeSpan.FromSeconds(3);

    public async Task<PartitionLease> AcquirePartitionAsync(int partition, string owner, CancellationToken cancellationToken)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO partitions (partition, owner, epoch) VALUES ($1, $2, 1)
            ON CONFLICT (partition) DO UPDATE SET owner=excluded.owner, epoch=partitions.epoch+1, updated_at=now()
            RETURNING epoch, event_offset
            """, conn);
        cmd.Parameters.Add(new() { Value = partition });
        cmd.Parameters.Add(new() { Value = owner });
        var upsert = cmd.ExecuteReaderAsync(cancellationToken);

        // A previous owner frozen inside a checkpoint (paused process, partitioned host) holds the
        // partition row. Its write could never commit anyway (the epoch check refuses it once we
        // own the partition), so the sessions blocking this one row are ended rather than waited for.
        while (await Task.WhenAny(upsert, Task.Delay(AcquireBlockedAfter, cancellationToken)) != upsert)
        {
            try
            {
                await using var terminate = dataSource.CreateCommand("SELECT count(pg_terminate_backend(b)) FROM unnest(pg_blocking_pids($1)) AS b");
                terminate.Parameters.Add(new() { Value = conn.ProcessID });
                await terminate.ExecuteScalarAsync(cancellationToken);
            }
            catch (PostgresException)
            {
                // Not allowed to end it (another role): keep waiting; the idle-in-transaction timeout still applies.
            }
        }

        await using var reader = await upsert;
        await reader.ReadAsync(cancellationToken);
        return new PartitionLease(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1));
    }

    public async Task ReleasePartitionAsync(PartitionFence fence, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE partitions SET owner=NULL, updated_at=now() WHERE partition=$1 AND epoch=$2");
        cmd.Parameters.Add(new() { Value = fence.Partition });
        cmd.Parameters.Add(new() { Value = fence.Epoch });
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<PartitionRow>> ListPartitionsAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT partition, owner, epoch, event_offset, updated_at FROM partitions ORDER BY partition");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var rows = new List<PartitionRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new PartitionRow(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetInt64(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return rows;
    }

    public async Task<IReadOnlyList<ReminderRow>> LoadRemindersAsync(int partition, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT grain_type, grain_key, name, due_at, period_ms FROM reminders WHERE partition=$1");
        cmd.Parameters.Add(new() { Value = partition });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var rows = new List<ReminderRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ReminderRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(4))));
        }

        return rows;
    }

    public async IAsyncEnumerable<(string GrainKey, string Json)> ScanAsync(string grainType, string stateName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT grain_key, payload::text FROM grain_state WHERE grain_type=$1 AND state_name=$2");
        cmd.Parameters.Add(new() { Value = grainType });
        cmd.Parameters.Add(new() { Value = stateName });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (reader.GetString(0), reader.GetString(1));
        }
    }

    public async Task<IReadOnlyList<string>> FindKeysAsync(string grainType, string suffix, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT DISTINCT grain_key FROM grain_state WHERE grain_type=$1 AND (grain_key=$2 OR right(grain_key, length($2) + 1)='/' || $2) LIMIT 20");
        cmd.Parameters.Add(new() { Value = grainType });
        cmd.Parameters.Add(new() { Value = suffix });
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
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO silos VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (silo_id) DO UPDATE SET internal_url=excluded.internal_url, heartbeat_at=excluded.heartbeat_at, partitions=excluded.partitions
            """);
        cmd.Parameters.Add(new() { Value = silo.SiloId });
        cmd.Parameters.Add(new() { Value = silo.InternalUrl });
        cmd.Parameters.Add(new() { Value = silo.StartedAt.UtcDateTime });
        cmd.Parameters.Add(new() { Value = silo.HeartbeatAt.UtcDateTime });
        cmd.Parameters.Add(new() { Value = silo.Partitions.ToArray() });
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RemoveSiloAsync(string siloId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM silos WHERE silo_id=$1");
        cmd.Parameters.Add(new() { Value = siloId });
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<SiloRow>> ListSilosAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT silo_id, internal_url, started_at, heartbeat_at, partitions FROM silos ORDER BY silo_id");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var rows = new List<SiloRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new SiloRow(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetFieldValue<int[]>(4)));
        }

        return rows;
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var cmd = dataSource.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}

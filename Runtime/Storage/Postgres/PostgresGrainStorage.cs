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

    public async Task<StoredState?[]> ReadManyAsync(IReadOnlyList<StateKey> keys, CancellationToken cancellationToken)
    {
        var results = new StoredState?[keys.Count];
        if (keys.Count == 0)
        {
            return results;
        }

        await using var cmd = dataSource.CreateCommand("""
            SELECT u.i, g.payload::text, g.version
            FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(t, k, s, i)
            JOIN grain_state g ON g.grain_type=u.t AND g.grain_key=u.k AND g.state_name=u.s
            """);
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.GrainType).ToArray() });
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.GrainKey).ToArray() });
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.StateName).ToArray() });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            results[reader.GetInt64(0) - 1] = new StoredState(reader.GetString(1), reader.GetInt64(2));
        }

        return results;
    }

    public async Task<long[]> WriteCheckpointAsync(Checkpoint checkpoint, CancellationToken cancellationToken) =>
        (await WriteCheckpointsAsync([checkpoint], cancellationToken))[0];

    /// <summary>One state write of a multi-partition checkpoint: the write and the partition it belongs to.</summary>
    private readonly record struct Row(StateWrite Write, int Partition);

    public async Task<long[][]> WriteCheckpointsAsync(IReadOnlyList<Checkpoint> checkpoints, CancellationToken cancellationToken)
    {
        var results = new long[checkpoints.Count][];
        if (checkpoints.Count == 0)
        {
            return results;
        }

        var updates = new List<Row>();
        var inserts = new List<Row>();
        var deletes = new List<Row>();
        var upserts = new List<(ReminderRow Row, int Partition)>();
        var removals = new List<ReminderRow>();
        var offsets = new List<(int Partition, long Offset)>();
        foreach (var checkpoint in checkpoints)
        {
            var partition = checkpoint.Fence.Partition;
            foreach (var w in checkpoint.States)
            {
                (w.IsDelete ? (w.ExpectedVersion is null ? null : deletes) : w.ExpectedVersion is null ? inserts : updates)?.Add(new Row(w, partition));
            }

            foreach (var change in checkpoint.Reminders)
            {
                if (change.Delete)
                {
                    removals.Add(change.Row);
                }
                else
                {
                    upserts.Add((change.Row, partition));
                }
            }

            if (checkpoint.Offset is { } offset)
            {
                offsets.Add((partition, offset));
            }
        }

        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(conn, tx);

        // The partition rows are locked in one order by every writer, so two checkpoints never deadlock.
        batch.BatchCommands.Add(Command("SELECT partition, epoch FROM partitions WHERE partition = ANY($1) ORDER BY partition FOR SHARE",
            checkpoints.Select(c => c.Fence.Partition).ToArray()));
        if (updates.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                UPDATE grain_state g SET payload=u.p::jsonb, version=g.version+1, updated_at=now(), partition=u.n
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::int[]) AS u(t, k, s, p, v, n)
                WHERE g.grain_type=u.t AND g.grain_key=u.k AND g.state_name=u.s AND g.version=u.v
                RETURNING g.grain_type, g.grain_key, g.state_name
                """, Col(updates, w => w.GrainType), Col(updates, w => w.GrainKey), Col(updates, w => w.StateName),
                Col(updates, w => w.Json!), updates.Select(r => r.Write.ExpectedVersion!.Value).ToArray(), updates.Select(r => r.Partition).ToArray()));
        }

        if (inserts.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO grain_state (grain_type, grain_key, state_name, partition, version, payload)
                SELECT u.t, u.k, u.s, u.n, 1, u.p::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[]) AS u(t, k, s, p, n)
                ON CONFLICT DO NOTHING
                RETURNING grain_type, grain_key, state_name
                """, Col(inserts, w => w.GrainType), Col(inserts, w => w.GrainKey), Col(inserts, w => w.StateName),
                Col(inserts, w => w.Json!), inserts.Select(r => r.Partition).ToArray()));
        }

        if (deletes.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                DELETE FROM grain_state g USING unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u(t, k, s, v)
                WHERE g.grain_type=u.t AND g.grain_key=u.k AND g.state_name=u.s AND g.version=u.v
                RETURNING g.grain_type, g.grain_key, g.state_name
                """, Col(deletes, w => w.GrainType), Col(deletes, w => w.GrainKey), Col(deletes, w => w.StateName),
                deletes.Select(r => r.Write.ExpectedVersion!.Value).ToArray()));
        }

        if (upserts.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO reminders (grain_type, grain_key, name, partition, due_at, period_ms)
                SELECT u.t, u.k, u.n, u.q, u.d, u.p FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bigint[], $6::int[]) AS u(t, k, n, d, p, q)
                ON CONFLICT (grain_type, grain_key, name) DO UPDATE SET partition=excluded.partition, due_at=excluded.due_at, period_ms=excluded.period_ms
                """, upserts.Select(r => r.Row.GrainType).ToArray(), upserts.Select(r => r.Row.GrainKey).ToArray(), upserts.Select(r => r.Row.Name).ToArray(),
                upserts.Select(r => r.Row.DueAt.UtcDateTime).ToArray(), upserts.Select(r => r.Row.Period is { } p ? (long?)p.TotalMilliseconds : null).ToArray(),
                upserts.Select(r => r.Partition).ToArray()));
        }

        if (removals.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                DELETE FROM reminders r USING unnest($1::text[], $2::text[], $3::text[]) AS u(t, k, n)
                WHERE r.grain_type=u.t AND r.grain_key=u.k AND r.name=u.n
                """, removals.Select(r => r.GrainType).ToArray(), removals.Select(r => r.GrainKey).ToArray(), removals.Select(r => r.Name).ToArray()));
        }

        if (offsets.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                UPDATE partitions p SET event_offset=u.o, updated_at=now()
                FROM unnest($1::int[], $2::bigint[]) AS u(n, o) WHERE p.partition=u.n
                """, offsets.Select(o => o.Partition).ToArray(), offsets.Select(o => o.Offset).ToArray()));
        }

        var applied = new HashSet<(string, string, string)>();
        var epochs = new Dictionary<int, long>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                epochs[reader.GetInt32(0)] = reader.GetInt64(1);
            }

            while (await reader.NextResultAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
                }
            }
        }

        foreach (var checkpoint in checkpoints)
        {
            var fence = checkpoint.Fence;
            long? epoch = epochs.TryGetValue(fence.Partition, out var e) ? e : null;
            if (epoch != fence.Epoch)
            {
                await tx.RollbackAsync(cancellationToken);
                throw new StalePartitionEpochException(fence.Partition, fence.Epoch, epoch);
            }
        }

        for (var c = 0; c < checkpoints.Count; c++)
        {
            var states = checkpoints[c].States;
            var versions = results[c] = new long[states.Count];
            for (var i = 0; i < states.Count; i++)
            {
                var w = states[i];
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
        }

        await tx.CommitAsync(cancellationToken);
        return results;
    }

    private static string[] Col(List<Row> rows, Func<StateWrite, string> pick)
    {
        var values = new string[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            values[i] = pick(rows[i].Write);
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

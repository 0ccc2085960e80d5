using System.Diagnostics;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Streaming.Kafka.Native;
using Confluent.Kafka;
using Npgsql;
using NpgsqlTypes;

namespace CartRecovery.Bench.Kafka;

/// <summary>
/// The in-run baselines: a plain Confluent.Kafka consumer (one thread, manual assignment of every partition from the
/// start, no Orleans) reading the same preloaded topic. <see cref="WithStorageAsync"/> decodes each record, updates one
/// state per shopper, session and cart key in memory (<see cref="PlainStates"/>: the keys the product's grains use,
/// JSON of similar content) and, per batch, upserts every state the batch changed into PostgreSQL in one transaction
/// (<c>INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE</c>), then commits the batch's offsets: a record counts
/// once its effects are committed, as in the product. <see cref="ConsumeOnlyAsync"/> only fetches the records.
/// </summary>
internal static class PlainConsumer
{
    public const string Table = "plain_state";

    public static async Task CreateTableAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            CREATE TABLE {Table} (
                kind text NOT NULL,
                key text NOT NULL,
                version bigint NOT NULL,
                payload jsonb NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (kind, key))
            """, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>What the baseline did: its progress, the state rows it upserted and the transactions they took.</summary>
    public sealed record Run(Progress Progress, long Rows, long Transactions);

    public static async Task<Run> WithStorageAsync(
        string bootstrapServers, string topic, int partitions, long total, long head, string connectionString, int maxBatch, CancellationToken cancellationToken)
    {
        var states = new PlainStates();
        var progress = new Progress(total, head);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        using var consumer = Consumer(bootstrapServers, "plain-storage", topic, partitions);
        var batch = new List<ConsumeResult<byte[], byte[]>>(maxBatch);
        long done = 0, rows = 0, transactions = 0;
        progress.Add(0);
        while (done < total)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Clear();
            Fill(consumer, batch, maxBatch);
            if (batch.Count == 0)
            {
                continue;
            }

            foreach (var record in batch)
            {
                states.Apply(Rees46Records.Decode(record.Message.Value));
            }

            var dirty = states.TakeDirty();
            await UpsertAsync(connection, dirty, cancellationToken);
            consumer.Commit(NextOffsets(batch));
            (rows, transactions) = (rows + dirty.Count, transactions + 1);
            done += batch.Count;
            progress.Add(done);
        }

        return new Run(progress, rows, transactions);
    }

    public static Progress ConsumeOnly(string bootstrapServers, string topic, int partitions, long total, long head, CancellationToken cancellationToken)
    {
        var progress = new Progress(total, head);
        using var consumer = Consumer(bootstrapServers, "plain-only", topic, partitions);
        long done = 0;
        long bytes = 0;
        progress.Add(0);
        var next = Stopwatch.GetTimestamp();
        while (done < total)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } record)
            {
                done++;
                bytes += record.Message.Value.Length;
            }

            // Sampled every few milliseconds, as the other runs are sampled.
            if (Stopwatch.GetTimestamp() >= next || done >= total)
            {
                progress.Add(done);
                next = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 200;
            }
        }

        GC.KeepAlive(bytes);
        return progress;
    }

    private static IConsumer<byte[], byte[]> Consumer(string bootstrapServers, string role, string topic, int partitions)
    {
        KafkaNative.EnsureLoaded();
        var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "bench-" + role,
            GroupId = $"bench-{role}-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = 100,
            EnablePartitionEof = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
        }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        return consumer;
    }

    /// <summary>Up to <paramref name="max"/> records: waits for the first, then takes what is already fetched.</summary>
    private static void Fill(IConsumer<byte[], byte[]> consumer, List<ConsumeResult<byte[], byte[]>> batch, int max)
    {
        if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { } first)
        {
            return;
        }

        batch.Add(first);
        while (batch.Count < max && consumer.Consume(TimeSpan.Zero) is { } record)
        {
            batch.Add(record);
        }
    }

    private static List<TopicPartitionOffset> NextOffsets(List<ConsumeResult<byte[], byte[]>> batch)
    {
        var next = new Dictionary<int, TopicPartitionOffset>();
        foreach (var r in batch)
        {
            next[r.Partition.Value] = new TopicPartitionOffset(r.TopicPartition, r.Offset.Value + 1);
        }

        return [.. next.Values];
    }

    private static async Task UpsertAsync(NpgsqlConnection connection, IReadOnlyList<PlainStates.Row> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var kinds = new string[rows.Count];
        var keys = new string[rows.Count];
        var versions = new long[rows.Count];
        var payloads = new string[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            (kinds[i], keys[i], versions[i], payloads[i]) = (rows[i].Kind, rows[i].Key, rows[i].Version, rows[i].Json);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand($"""
            INSERT INTO {Table} (kind, key, version, payload)
            SELECT k, n, v, p::jsonb FROM unnest($1, $2, $3, $4) AS t(k, n, v, p)
            ON CONFLICT (kind, key) DO UPDATE SET version = excluded.version, payload = excluded.payload, updated_at = now()
            """, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = kinds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = keys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = versions, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = payloads, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Rows of the baseline's table by kind: count and average JSON size (as the product's grain_state is described).</summary>
    public static async Task<Dictionary<string, (long Count, double Bytes)>> StoredAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, (long, double)>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetString(0)] = (reader.GetInt64(1), reader.IsDBNull(2) ? 0 : Convert.ToDouble(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture));
        }

        return result;
    }
}

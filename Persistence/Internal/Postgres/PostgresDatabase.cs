using System.Runtime.CompilerServices;
using CartRecovery.Persistence.Diagnostics;
using CartRecovery.Persistence.Internal.Writes;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CartRecovery.Persistence.Internal.Postgres;

// A PostgreSQL database reached through one pooled NpgsqlDataSource.
internal sealed class PostgresDatabase : StorageDatabase
{
    private readonly NpgsqlDataSource _dataSource;

    private PostgresDatabase(DatabaseSettings settings, NpgsqlDataSource dataSource, StorageInstruments instruments, ILoggerFactory loggers)
        : base(settings, new PostgresStateReader(dataSource), startReadsInline: true, instruments, loggers)
    {
        _dataSource = dataSource;
    }

    public static PostgresDatabase Create(DatabaseSettings settings, StorageInstruments instruments, ILoggerFactory loggers)
    {
        var builder = new NpgsqlDataSourceBuilder(settings.ConnectionString);
        builder.UseLoggerFactory(loggers);
        return new PostgresDatabase(settings, builder.Build(), instruments, loggers);
    }

    public override bool TakesTextPayload => true;

    protected override IBatchCommitter CreateCommitter() => new PostgresBatchCommitter(_dataSource);

    public override async IAsyncEnumerable<(string Key, string Json)> ScanAsync(string grainType, string stateName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT grain_key, payload FROM grain_state WHERE grain_type = $1 AND state_name = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = grainType });
        command.Parameters.Add(new NpgsqlParameter { Value = stateName });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return (reader.GetString(0), reader.GetString(1));
        }
    }

    public override async IAsyncEnumerable<StateKey> ScanKeysAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT grain_type, grain_key, state_name FROM grain_state");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new StateKey(reader.GetString(0), reader.GetString(1), reader.GetString(2));
        }
    }

    public override async IAsyncEnumerable<(long Sequence, byte[] Payload)> ReadJournalAsync(long from, long to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT seq, payload FROM event_journal WHERE seq BETWEEN $1 AND $2 ORDER BY seq");
        command.Parameters.Add(new NpgsqlParameter { Value = from });
        command.Parameters.Add(new NpgsqlParameter { Value = to });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return (reader.GetInt64(0), (byte[])reader.GetValue(1));
        }
    }

    public override async Task<IReadOnlyList<string>> FindKeysAsync(string grainType, string keySuffix, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"""
            SELECT DISTINCT grain_key FROM grain_state
            WHERE grain_type = $1 AND (grain_key = $2 OR right(grain_key, length($2) + 1) = '/' || $2)
            ORDER BY grain_key LIMIT {KeySearch.Limit}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = grainType });
        command.Parameters.Add(new NpgsqlParameter { Value = KeySearch.Segment(keySuffix) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var keys = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    public override async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT count(*) FROM schema_migrations");
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }

    public override async Task<IReadOnlyList<ReminderRow>> ReadRemindersAsync(ReminderQuery query, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT grain_id, reminder_name, start_time, period_ms, version FROM reminders WHERE service_id = @s AND " + ReminderFilter.Sql(query, "@"));
        command.Parameters.AddWithValue("s", query.ServiceId);
        if (query.GrainId is not null)
        {
            command.Parameters.AddWithValue("g", query.GrainId);
            if (query.Name is not null)
            {
                command.Parameters.AddWithValue("n", query.Name);
            }
        }
        else
        {
            command.Parameters.AddWithValue("b", (long)query.Begin);
            command.Parameters.AddWithValue("e", (long)query.End);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<ReminderRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new ReminderRow(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTime>(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return rows;
    }

    public override async Task ClearRemindersAsync(string serviceId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("DELETE FROM reminders WHERE service_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = serviceId });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override ValueTask CloseConnectionsAsync() => _dataSource.DisposeAsync();
}

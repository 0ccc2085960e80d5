using System.Runtime.CompilerServices;
using CartRecovery.Persistence.Diagnostics;
using CartRecovery.Persistence.Internal.Writes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Persistence.Internal.Sqlite;

// A SQLite file in WAL mode: one writer connection owned by the group-commit writer, pooled
// reader connections for state reads, and short-lived pooled connections for everything else.
internal sealed class SqliteDatabase : StorageDatabase
{
    private readonly SqliteStateReader _reader;

    private SqliteDatabase(DatabaseSettings settings, SqliteStateReader reader, StorageInstruments instruments, ILoggerFactory loggers)
        : base(settings, reader, startReadsInline: false, instruments, loggers)
    {
        _reader = reader;
    }

    public static SqliteDatabase Create(DatabaseSettings settings, StorageInstruments instruments, ILoggerFactory loggers) =>
        new(settings, new SqliteStateReader(settings.ConnectionString), instruments, loggers);

    public override bool TakesTextPayload => false;

    protected override IBatchCommitter CreateCommitter() => new SqliteBatchCommitter(Settings.ConnectionString, Settings.SqliteSynchronous);

    public override async IAsyncEnumerable<(string Key, string Json)> ScanAsync(string grainType, string stateName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqliteConnections.Command(connection, "SELECT grain_key, payload FROM grain_state WHERE grain_type=$t AND state_name=$s",
            ("$t", grainType), ("$s", stateName));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return (reader.GetString(0), reader.GetString(1));
        }
    }

    public override async IAsyncEnumerable<StateKey> ScanKeysAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqliteConnections.Command(connection, "SELECT grain_type, grain_key, state_name FROM grain_state");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new StateKey(reader.GetString(0), reader.GetString(1), reader.GetString(2));
        }
    }

    public override async IAsyncEnumerable<(long Sequence, byte[] Payload)> ReadJournalAsync(long from, long to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqliteConnections.Command(connection, "SELECT seq, payload FROM event_journal WHERE seq BETWEEN $f AND $t ORDER BY seq",
            ("$f", from), ("$t", to));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return (reader.GetInt64(0), (byte[])reader.GetValue(1));
        }
    }

    public override async Task<IReadOnlyList<string>> FindKeysAsync(string grainType, string keySuffix, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqliteConnections.Command(connection, $"""
            SELECT DISTINCT grain_key FROM grain_state
            WHERE grain_type=$t AND (grain_key=$s OR substr(grain_key, -length($s) - 1)='/' || $s)
            ORDER BY grain_key LIMIT {KeySearch.Limit}
            """, ("$t", grainType), ("$s", KeySearch.Segment(keySuffix)));
        return await ReadStringsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public override async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = SqliteConnections.Command(connection, "SELECT count(*) FROM schema_migrations");
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    public override async Task<IReadOnlyList<ReminderRow>> ReadRemindersAsync(ReminderQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqliteConnections.Command(connection,
            "SELECT grain_id, reminder_name, start_time, period_ms, version FROM reminders WHERE service_id=$s AND " + ReminderFilter.Sql(query, "$"),
            ("$s", query.ServiceId), ("$g", query.GrainId), ("$n", query.Name), ("$b", (long)query.Begin), ("$e", (long)query.End));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<ReminderRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new ReminderRow(reader.GetString(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)).UtcDateTime,
                reader.GetInt64(3), reader.GetInt64(4)));
        }

        return rows;
    }

    public override async Task ClearRemindersAsync(string serviceId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqliteConnections.Command(connection, "DELETE FROM reminders WHERE service_id=$s", ("$s", serviceId));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override ValueTask CloseConnectionsAsync()
    {
        _reader.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(Settings.ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static async Task<IReadOnlyList<string>> ReadStringsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var values = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}

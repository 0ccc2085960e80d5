using CartRecovery.Persistence.Internal.Writes;
using Microsoft.Data.Sqlite;

namespace CartRecovery.Persistence.Internal.Sqlite;

// The writer's statements, prepared once per connection. Parameters: ?1 payload, ?2 updated_at,
// ?4..?6 the key, ?7 the expected version.
internal sealed class SqliteStatements(SqliteConnection connection) : IDisposable
{
    private readonly RawStatement _update = new(connection,
        "UPDATE grain_state SET payload=?1, version=version+1, updated_at=?2 WHERE grain_type=?4 AND grain_key=?5 AND state_name=?6 AND version=?7");

    // DO NOTHING rather than an error: a record that already exists refuses this write only.
    private readonly RawStatement _insert = new(connection,
        "INSERT INTO grain_state (grain_type, grain_key, state_name, version, payload, updated_at) VALUES (?4, ?5, ?6, 1, ?1, ?2) ON CONFLICT DO NOTHING");

    private readonly RawStatement _delete = new(connection,
        "DELETE FROM grain_state WHERE grain_type=?4 AND grain_key=?5 AND state_name=?6 AND version=?7");

    private readonly RawStatement _version = new(connection,
        "SELECT version FROM grain_state WHERE grain_type=?4 AND grain_key=?5 AND state_name=?6");

    private readonly RawStatement _upsertReminder = new(connection, """
        INSERT INTO reminders (service_id, grain_id, reminder_name, start_time, period_ms, grain_hash, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
        ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
        SET start_time=excluded.start_time, period_ms=excluded.period_ms, grain_hash=excluded.grain_hash, version=reminders.version+1
        RETURNING version
        """);

    private readonly RawStatement _deleteReminder = new(connection,
        "DELETE FROM reminders WHERE service_id=?1 AND grain_id=?2 AND reminder_name=?3 AND version=?4");

    private readonly RawStatement _appendJournal = new(connection, "INSERT INTO event_journal (seq, payload, appended_at) VALUES (?1, ?2, ?3)");

    private readonly RawStatement _trimJournal = new(connection, "DELETE FROM event_journal WHERE seq < ?1");

    public void Append(JournalAppendOp op, long now)
    {
        _appendJournal.Bind(1, op.Sequence);
        _appendJournal.BindBlob(2, op.Payload);
        _appendJournal.Bind(3, now);
        _appendJournal.Execute();
    }

    public void Trim(JournalTrimOp op)
    {
        _trimJournal.Bind(1, op.Below);
        _trimJournal.Execute();
    }

    public void Write(StateWriteOp op, long now)
    {
        BindKey(_version, op.Key);
        if (op.IsClear && op.ExpectedVersion is null)
        {
            // Clearing with no ETag: fine when there is nothing to clear, a conflict otherwise.
            if (_version.ExecuteScalarInt64() is { } stored)
            {
                op.Refuse(stored);
            }

            return;
        }

        var statement = op.IsClear ? _delete : op.ExpectedVersion is null ? _insert : _update;
        BindKey(statement, op.Key);
        if (op.ExpectedVersion is { } expected)
        {
            statement.Bind(7, expected);
        }

        if (op.Payload is { } payload)
        {
            statement.Bind(1, payload.Utf8);
            statement.Bind(2, now);
        }

        if (statement.Execute() == 1)
        {
            op.Succeeded(op.IsClear ? 0 : (op.ExpectedVersion ?? 0) + 1);
        }
        else
        {
            op.Refuse(_version.ExecuteScalarInt64());
        }
    }

    public void Upsert(ReminderUpsertOp op)
    {
        _upsertReminder.Bind(1, op.ServiceId);
        _upsertReminder.Bind(2, op.GrainId);
        _upsertReminder.Bind(3, op.Name);
        _upsertReminder.Bind(4, new DateTimeOffset(op.StartAtUtc).ToUnixTimeMilliseconds());
        _upsertReminder.Bind(5, op.PeriodMs);
        _upsertReminder.Bind(6, op.GrainHash);
        op.NewVersion = _upsertReminder.ExecuteScalarInt64() ?? throw new InvalidOperationException("reminder upsert returned no version");
    }

    public void Delete(ReminderDeleteOp op)
    {
        _deleteReminder.Bind(1, op.ServiceId);
        _deleteReminder.Bind(2, op.GrainId);
        _deleteReminder.Bind(3, op.Name);
        _deleteReminder.Bind(4, op.Version);
        if (_deleteReminder.Execute() != 1)
        {
            op.NotFound();
        }
    }

    private static void BindKey(RawStatement statement, StateKey key)
    {
        statement.Bind(4, key.GrainType);
        statement.Bind(5, key.GrainKey);
        statement.Bind(6, key.StateName);
    }

    public void Dispose()
    {
        _update.Dispose();
        _insert.Dispose();
        _delete.Dispose();
        _version.Dispose();
        _upsertReminder.Dispose();
        _deleteReminder.Dispose();
        _appendJournal.Dispose();
        _trimJournal.Dispose();
    }
}

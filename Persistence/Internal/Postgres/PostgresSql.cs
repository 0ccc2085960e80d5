namespace CartRecovery.Persistence.Internal.Postgres;

// The writer's statements. Each takes one column array per field (unnest), so a thousand writes
// cost one statement, and each checks versions row by row: a stale row is simply not returned,
// which refuses that write alone instead of aborting the transaction. $i carries the write's
// index in the batch back in RETURNING.
internal static class PostgresSql
{
    public const string UpdateStates = """
        UPDATE grain_state AS g SET payload = u.p, version = g.version + 1, updated_at = now()
        FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::bigint[], $6::int[]) AS u(t, k, s, p, v, i)
        WHERE g.grain_type = u.t AND g.grain_key = u.k AND g.state_name = u.s AND g.version = u.v
        RETURNING u.i, g.version
        """;

    // DO NOTHING: a record that exists already (another writer got there first) refuses only this write.
    // INSERT cannot return the source row's index, so rows come back by key (unique within a round).
    public const string InsertStates = """
        INSERT INTO grain_state (grain_type, grain_key, state_name, version, payload)
        SELECT u.t, u.k, u.s, 1, u.p FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) AS u(t, k, s, p)
        ON CONFLICT DO NOTHING
        RETURNING grain_type, grain_key, state_name
        """;

    public const string DeleteStates = """
        DELETE FROM grain_state AS g
        USING unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[]) AS u(t, k, s, v, i)
        WHERE g.grain_type = u.t AND g.grain_key = u.k AND g.state_name = u.s AND g.version = u.v
        RETURNING u.i
        """;

    // Clears without an ETag: a conflict for each record that exists.
    public const string ExistingStates = """
        SELECT u.i, g.version FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) AS u(t, k, s, i)
        JOIN grain_state AS g ON g.grain_type = u.t AND g.grain_key = u.k AND g.state_name = u.s
        """;

    public const string UpsertReminders = """
        INSERT INTO reminders (service_id, grain_id, reminder_name, start_time, period_ms, grain_hash, version)
        SELECT u.sv, u.g, u.n, u.st, u.p, u.h, 1
        FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bigint[], $6::bigint[]) AS u(sv, g, n, st, p, h)
        ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
        SET start_time = excluded.start_time, period_ms = excluded.period_ms, grain_hash = excluded.grain_hash, version = reminders.version + 1
        RETURNING service_id, grain_id, reminder_name, version
        """;

    public const string DeleteReminders = """
        DELETE FROM reminders AS r
        USING unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[]) AS u(sv, g, n, v, i)
        WHERE r.service_id = u.sv AND r.grain_id = u.g AND r.reminder_name = u.n AND r.version = u.v
        RETURNING u.i
        """;

    public const string AppendJournal = "INSERT INTO event_journal (seq, payload) SELECT * FROM unnest($1::bigint[], $2::bytea[])";

    public const string TrimJournal = "DELETE FROM event_journal WHERE seq < $1";
}

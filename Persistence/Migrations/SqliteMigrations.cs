namespace CartRecovery.Persistence.Migrations;

// The schema in SQLite's dialect, one entry per version. Versions only ever grow: a released
// migration is never edited, a change is a new entry (1 and 2 are the old runtime's, verbatim).
internal static class SqliteMigrations
{
    public static readonly Migration[] All =
    [
        new(1, "grain state, partitions with epochs, reminders", """
            CREATE TABLE grain_state (
                grain_type TEXT NOT NULL,
                grain_key TEXT NOT NULL,
                state_name TEXT NOT NULL,
                partition INTEGER NOT NULL,
                version INTEGER NOT NULL,
                payload TEXT NOT NULL,
                updated_at INTEGER NOT NULL,
                PRIMARY KEY (grain_type, grain_key, state_name));
            CREATE TABLE partitions (
                partition INTEGER PRIMARY KEY,
                owner TEXT NULL,
                epoch INTEGER NOT NULL,
                event_offset INTEGER NULL,
                updated_at INTEGER NOT NULL);
            CREATE TABLE reminders (
                grain_type TEXT NOT NULL,
                grain_key TEXT NOT NULL,
                name TEXT NOT NULL,
                partition INTEGER NOT NULL,
                due_at INTEGER NOT NULL,
                period_ms INTEGER NULL,
                PRIMARY KEY (grain_type, grain_key, name));
            CREATE INDEX reminders_partition ON reminders (partition);
            """),
        new(2, "silo membership for the cluster view", """
            CREATE TABLE silos (
                silo_id TEXT PRIMARY KEY,
                internal_url TEXT NOT NULL,
                started_at INTEGER NOT NULL,
                heartbeat_at INTEGER NOT NULL,
                partitions TEXT NOT NULL);
            """),
        new(3, "Orleans: grain state without partitions, Orleans-shaped reminders", """
            -- Orleans places grains itself: the partition column is obsolete. SQLite cannot relax a
            -- NOT NULL column in place, so the table is rebuilt with it defaulted, rows kept.
            CREATE TABLE grain_state_v3 (
                grain_type TEXT NOT NULL,
                grain_key TEXT NOT NULL,
                state_name TEXT NOT NULL,
                partition INTEGER NOT NULL DEFAULT 0,
                version INTEGER NOT NULL,
                payload TEXT NOT NULL,
                updated_at INTEGER NOT NULL,
                PRIMARY KEY (grain_type, grain_key, state_name));
            INSERT INTO grain_state_v3 (grain_type, grain_key, state_name, partition, version, payload, updated_at)
                SELECT grain_type, grain_key, state_name, partition, version, payload, updated_at FROM grain_state;
            DROP TABLE grain_state;
            ALTER TABLE grain_state_v3 RENAME TO grain_state;

            -- Partition leases and the silo list belonged to the old runtime; Orleans keeps membership itself.
            DROP TABLE partitions;
            DROP TABLE silos;

            -- The old reminder rows cannot become Orleans rows in SQL (their grain hash is computed
            -- in .NET), so they are kept aside rather than dropped, for re-registration.
            ALTER TABLE reminders RENAME TO legacy_reminders;
            DROP INDEX reminders_partition;

            -- Orleans' reminder table: ETag = version; ranges are read by the grain's uniform hash
            -- (0..2^32-1), start_time in Unix milliseconds.
            CREATE TABLE reminders (
                service_id TEXT NOT NULL,
                grain_id TEXT NOT NULL,
                reminder_name TEXT NOT NULL,
                start_time INTEGER NOT NULL,
                period_ms INTEGER NOT NULL,
                grain_hash INTEGER NOT NULL,
                version INTEGER NOT NULL,
                PRIMARY KEY (service_id, grain_id, reminder_name));
            CREATE INDEX reminders_ring ON reminders (service_id, grain_hash);
            """),
        new(4, "event journal for write-behind grain state", """
            -- Batches of events acknowledged before every state they changed was written; an
            -- entry is removed once those states are stored, and replayed after a crash.
            CREATE TABLE event_journal (
                seq INTEGER PRIMARY KEY,
                payload BLOB NOT NULL,
                appended_at INTEGER NOT NULL);
            """),
    ];
}

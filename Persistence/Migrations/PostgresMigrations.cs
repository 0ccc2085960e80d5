namespace CartRecovery.Persistence.Migrations;

// The schema in PostgreSQL's dialect, one entry per version, the same versions as
// SqliteMigrations (1 and 2 are the old runtime's, verbatim).
internal static class PostgresMigrations
{
    public static readonly Migration[] All =
    [
        new(1, "grain state, partitions with epochs, reminders", """
            CREATE TABLE grain_state (
                grain_type text NOT NULL,
                grain_key text NOT NULL,
                state_name text NOT NULL,
                partition int NOT NULL,
                version bigint NOT NULL,
                payload jsonb NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (grain_type, grain_key, state_name));
            CREATE TABLE partitions (
                partition int PRIMARY KEY,
                owner text NULL,
                epoch bigint NOT NULL,
                event_offset bigint NULL,
                updated_at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE reminders (
                grain_type text NOT NULL,
                grain_key text NOT NULL,
                name text NOT NULL,
                partition int NOT NULL,
                due_at timestamptz NOT NULL,
                period_ms bigint NULL,
                PRIMARY KEY (grain_type, grain_key, name));
            CREATE INDEX reminders_partition ON reminders (partition);
            """),
        new(2, "silo membership for the cluster view", """
            CREATE TABLE silos (
                silo_id text PRIMARY KEY,
                internal_url text NOT NULL,
                started_at timestamptz NOT NULL,
                heartbeat_at timestamptz NOT NULL,
                partitions int[] NOT NULL);
            """),
        new(3, "Orleans: grain state without partitions, Orleans-shaped reminders", """
            -- Orleans places grains itself: the partition column is obsolete. It is kept, defaulted,
            -- so both dialects end in the same schema and old rows keep their value.
            ALTER TABLE grain_state ALTER COLUMN partition SET DEFAULT 0;

            -- Partition leases and the silo list belonged to the old runtime; Orleans keeps membership itself.
            DROP TABLE partitions;
            DROP TABLE silos;

            -- The old reminder rows cannot become Orleans rows in SQL (their grain hash is computed
            -- in .NET), so they are kept aside rather than dropped, for re-registration. Index names
            -- are per schema in PostgreSQL, so the old ones move out of the new table's way.
            ALTER TABLE reminders RENAME TO legacy_reminders;
            ALTER TABLE legacy_reminders RENAME CONSTRAINT reminders_pkey TO legacy_reminders_pkey;
            DROP INDEX reminders_partition;

            -- Orleans' reminder table: ETag = version; ranges are read by the grain's uniform hash
            -- (0..2^32-1, hence bigint).
            CREATE TABLE reminders (
                service_id text NOT NULL,
                grain_id text NOT NULL,
                reminder_name text NOT NULL,
                start_time timestamptz NOT NULL,
                period_ms bigint NOT NULL,
                grain_hash bigint NOT NULL,
                version bigint NOT NULL,
                PRIMARY KEY (service_id, grain_id, reminder_name));
            CREATE INDEX reminders_ring ON reminders (service_id, grain_hash);
            """),
        new(4, "event journal for write-behind grain state", """
            -- Batches of events acknowledged before every state they changed was written; an
            -- entry is removed once those states are stored, and replayed after a crash.
            CREATE TABLE event_journal (
                seq bigint PRIMARY KEY,
                payload bytea NOT NULL,
                appended_at timestamptz NOT NULL DEFAULT now());
            """),
    ];
}

namespace CartRecovery.Persistence.Tests.Migrations;

// The old runtime's schema at version 2, as its migrations created it (kept here verbatim, so the
// upgrade is tested against what deployed databases hold, not against this library's copy).
internal static class OldSchema
{
    public const string Sqlite = """
        CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL);
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
        CREATE TABLE silos (
            silo_id TEXT PRIMARY KEY,
            internal_url TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            heartbeat_at INTEGER NOT NULL,
            partitions TEXT NOT NULL);
        INSERT INTO schema_migrations VALUES (1, 'grain state, partitions with epochs, reminders', 0), (2, 'silo membership for the cluster view', 0);
        """;

    public const string Postgres = """
        CREATE TABLE schema_migrations (version int PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
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
        CREATE TABLE silos (
            silo_id text PRIMARY KEY,
            internal_url text NOT NULL,
            started_at timestamptz NOT NULL,
            heartbeat_at timestamptz NOT NULL,
            partitions int[] NOT NULL);
        INSERT INTO schema_migrations (version, description) VALUES (1, 'grain state, partitions with epochs, reminders'), (2, 'silo membership for the cluster view');
        """;
}

namespace CartRecovery.Runtime.Storage;

/// <summary>
/// The versioned schema, one entry per migration, in both dialects. Versions only ever grow:
/// a released migration is never edited, a change is a new entry.
/// </summary>
public static class Migrations
{
    public sealed record Migration(int Version, string Description, string Sqlite, string Postgres);

    public static readonly Migration[] All =
    [
        new(1, "grain state, partitions with epochs, reminders",
            Sqlite: """
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
                """,
            Postgres: """
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
        new(2, "silo membership for the cluster view",
            Sqlite: """
                CREATE TABLE silos (
                    silo_id TEXT PRIMARY KEY,
                    internal_url TEXT NOT NULL,
                    started_at INTEGER NOT NULL,
                    heartbeat_at INTEGER NOT NULL,
                    partitions TEXT NOT NULL);
                """,
            Postgres: """
                CREATE TABLE silos (
                    silo_id text PRIMARY KEY,
                    internal_url text NOT NULL,
                    started_at timestamptz NOT NULL,
                    heartbeat_at timestamptz NOT NULL,
                    partitions int[] NOT NULL);
                """),
    ];

    public static int Latest => All[^1].Version;
}

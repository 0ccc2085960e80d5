-- Storage table and queries for Orleans' own ADO.NET grain storage (Microsoft.Orleans.Persistence.AdoNet)
-- on PostgreSQL: the storage bench's baseline. The package ships no SQL; the provider reads its
-- queries by key from OrleansQuery at start. Written for this bench from the provider's contract
-- (query keys, parameters, result columns): plain statements, no stored functions.

CREATE TABLE OrleansQuery (
    QueryKey varchar(64) PRIMARY KEY,
    QueryText text NOT NULL
);

-- One row per grain state. The provider narrows a lookup with two 32-bit hashes and also passes
-- the grain id parts and type in full, so the unique index holds all of them. It also makes the
-- second of two concurrent first writes hit ON CONFLICT DO NOTHING and return no version, which
-- the provider reports as a version conflict.
CREATE TABLE adonet_grain_state (
    grain_id_hash integer NOT NULL,
    grain_type_hash integer NOT NULL,
    grain_id_n0 bigint NOT NULL,
    grain_id_n1 bigint NOT NULL,
    grain_type text NOT NULL,
    grain_id_extension text NULL,
    service_id text NOT NULL,
    payload bytea NULL,
    version integer NOT NULL,
    modified_on timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX adonet_grain_state_key ON adonet_grain_state
    (grain_id_hash, grain_type_hash, grain_id_n0, grain_id_n1, grain_type, (coalesce(grain_id_extension, '')), service_id);

-- The write is a function so each session plans its two statements once (PL/pgSQL caches them),
-- as Orleans' own scripts do: the provider sends its queries unprepared, and a baseline that
-- re-planned every write would flatter the comparison.
CREATE FUNCTION adonet_write_state(
    p_id_hash integer, p_type_hash integer, p_n0 bigint, p_n1 bigint, p_type text,
    p_extension text, p_service text, p_version integer, p_payload bytea) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    v_new integer;
BEGIN
    IF p_version IS NOT NULL THEN
        UPDATE adonet_grain_state
        SET payload = p_payload, version = version + 1, modified_on = now()
        WHERE grain_id_hash = p_id_hash AND grain_type_hash = p_type_hash
          AND grain_id_n0 = p_n0 AND grain_id_n1 = p_n1 AND grain_type = p_type
          AND coalesce(grain_id_extension, '') = coalesce(p_extension, '')
          AND service_id = p_service AND version = p_version
        RETURNING version INTO v_new;
    ELSE
        INSERT INTO adonet_grain_state
            (grain_id_hash, grain_type_hash, grain_id_n0, grain_id_n1, grain_type, grain_id_extension, service_id, payload, version)
        VALUES (p_id_hash, p_type_hash, p_n0, p_n1, p_type, p_extension, p_service, p_payload, 1)
        ON CONFLICT DO NOTHING
        RETURNING version INTO v_new;
    END IF;

    RETURN v_new;
END
$fn$;

-- Parameters arrive typed by the provider; the casts only pin the type of those that may be null.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', $sql$
    SELECT payload AS PayloadBinary, version AS Version
    FROM adonet_grain_state
    WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
      AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1 AND grain_type = @GrainTypeString
      AND coalesce(grain_id_extension, '') = coalesce(@GrainIdExtensionString::text, '')
      AND service_id = @ServiceId
$sql$),

-- Returns the new version, or no version when the held one (GrainStateVersion; null for a state
-- never stored) does not match: the provider then throws InconsistentStateException.
('WriteToStorageKey', $sql$
    SELECT adonet_write_state(@GrainIdHash, @GrainTypeHash, @GrainIdN0, @GrainIdN1, @GrainTypeString,
        @GrainIdExtensionString::text, @ServiceId, @GrainStateVersion::integer, @PayloadBinary) AS NewGrainStateVersion
$sql$),

-- Clearing keeps the row (the provider's default, DeleteStateOnClear = false): the version goes on.
('ClearStorageKey', $sql$
    UPDATE adonet_grain_state
    SET payload = NULL, version = version + 1, modified_on = now()
    WHERE version = @GrainStateVersion::integer
      AND grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
      AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1 AND grain_type = @GrainTypeString
      AND coalesce(grain_id_extension, '') = coalesce(@GrainIdExtensionString::text, '')
      AND service_id = @ServiceId
    RETURNING version AS NewGrainStateVersion
$sql$);

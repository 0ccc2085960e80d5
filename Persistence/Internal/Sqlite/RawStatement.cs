using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CartRecovery.Persistence.Internal.Sqlite;

// A statement prepared once on the writer connection and driven through SQLite's C API:
// positional binds, step, reset. A batch runs the same few statements thousands of times, and
// the ADO.NET command's per-execution data reader and by-name binding cost more than the step.
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;
    private byte[] _scratch = new byte[256];

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        Check(raw.sqlite3_prepare_v2(_db, sql, out _stmt));
    }

    // Binds text through a reused buffer (SQLite copies it), without a byte array per value.
    public void Bind(int index, string value)
    {
        if (value.Length == 0)
        {
            // An empty span would pin as a null pointer, which SQLite binds as NULL.
            Check(raw.sqlite3_bind_text(_stmt, index, value));
            return;
        }

        var size = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_scratch.Length < size)
        {
            _scratch = new byte[Math.Max(size, _scratch.Length * 2)];
        }

        var length = Encoding.UTF8.GetBytes(value, _scratch);
        Check(raw.sqlite3_bind_text(_stmt, index, _scratch.AsSpan(0, length)));
    }

    // Binds UTF-8 text as it is (SQLite copies it).
    public void Bind(int index, ReadOnlySpan<byte> utf8) =>
        Check(utf8.IsEmpty ? raw.sqlite3_bind_text(_stmt, index, "") : raw.sqlite3_bind_text(_stmt, index, utf8));

    // Binds bytes as a BLOB (SQLite copies them).
    public void BindBlob(int index, byte[] value) => Check(raw.sqlite3_bind_blob(_stmt, index, value));

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_stmt, index, value));

    // Runs the statement to completion and returns the number of rows it changed.
    public int Execute()
    {
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(_stmt)) == raw.SQLITE_ROW)
            {
            }

            if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }

            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_stmt);
        }
    }

    // Runs the statement and returns the first column of its first row (null when it returns none).
    public long? ExecuteScalarInt64()
    {
        try
        {
            var rc = raw.sqlite3_step(_stmt);
            if (rc == raw.SQLITE_DONE)
            {
                return null;
            }

            if (rc != raw.SQLITE_ROW)
            {
                Check(rc);
            }

            var value = raw.sqlite3_column_int64(_stmt, 0);

            // Step to the end: an INSERT ... RETURNING finishes its work only then.
            while ((rc = raw.sqlite3_step(_stmt)) == raw.SQLITE_ROW)
            {
            }

            if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }

            return value;
        }
        finally
        {
            raw.sqlite3_reset(_stmt);
        }
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException($"SQLite Error {rc}: '{raw.sqlite3_errmsg(_db).utf8_to_string()}'.", rc);
        }
    }

    public void Dispose() => _stmt.Dispose();
}

using CartRecovery.Persistence.Internal.Writes;
using Microsoft.Data.Sqlite;

namespace CartRecovery.Persistence.Internal.Sqlite;

// Commits batches on one long-lived writer connection: BEGIN IMMEDIATE, one conditional statement
// per write, COMMIT. Each statement checks its own version, so a stale write is refused alone;
// writes run in key order (neighbouring keys share index pages) and, for one key, in arrival
// order, which makes two writes of one grain in a batch behave as if sequential.
internal sealed class SqliteBatchCommitter(string connectionString, string synchronous) : IBatchCommitter
{
    private SqliteConnection? _connection;
    private SqliteStatements? _statements;

    public Task CommitAsync(IReadOnlyList<WriteOp> batch, CancellationToken cancellationToken)
    {
        // SQLite has no asynchronous I/O: the work is synchronous on the writer loop's thread.
        try
        {
            Commit(batch);
            return Task.CompletedTask;
        }
        catch (Exception e)
        {
            // The connection may be unusable (disk full, file replaced): the next batch opens a new one.
            DropConnection();
            return Task.FromException(e);
        }
    }

    private void Commit(IReadOnlyList<WriteOp> batch)
    {
        if (_connection is null)
        {
            _connection = SqliteConnections.OpenWriter(connectionString, synchronous);
            _statements = new SqliteStatements(_connection);
        }

        var statements = _statements!;
        using var transaction = _connection.BeginTransaction(deferred: false);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var index in KeyOrder(batch))
        {
            var op = batch[index];
            op.ResetOutcome();
            switch (op)
            {
                case StateWriteOp state:
                    statements.Write(state, now);
                    break;
                case ReminderUpsertOp upsert:
                    statements.Upsert(upsert);
                    break;
                case ReminderDeleteOp delete:
                    statements.Delete(delete);
                    break;
                case JournalAppendOp append:
                    statements.Append(append, now);
                    break;
                case JournalTrimOp trim:
                    statements.Trim(trim);
                    break;
            }
        }

        transaction.Commit();
    }

    // Indexes of the batch sorted by identity, ties kept in arrival order.
    internal static int[] KeyOrder(IReadOnlyList<WriteOp> batch)
    {
        var order = new int[batch.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (x, y) =>
        {
            var (a, b) = (batch[x].Identity, batch[y].Identity);
            var c = a.Table.CompareTo(b.Table);
            c = c != 0 ? c : string.CompareOrdinal(a.A, b.A);
            c = c != 0 ? c : string.CompareOrdinal(a.B, b.B);
            c = c != 0 ? c : string.CompareOrdinal(a.C, b.C);
            return c != 0 ? c : x.CompareTo(y);
        });
        return order;
    }

    private void DropConnection()
    {
        _statements?.Dispose();
        _statements = null;
        _connection?.Dispose();
        _connection = null;
    }

    public ValueTask DisposeAsync()
    {
        DropConnection();
        return ValueTask.CompletedTask;
    }
}

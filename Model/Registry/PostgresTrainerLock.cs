using Npgsql;

namespace CartRecovery.Model.Registry;

/// <summary>Owns the connection whose session holds the advisory lock; the lock lives exactly as long as that session.</summary>
internal sealed class PostgresTrainerLock(NpgsqlConnection connection, string holder) : ITrainerLock
{
    private int _disposed;

    public string Holder { get; } = holder;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            // Unlock explicitly: a pooled connection is not necessarily reset before its next user.
            await using var cmd = new NpgsqlCommand($"SELECT pg_advisory_unlock({PostgresModelRegistry.TrainerLockKey})", connection);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The session is gone (server restart, terminated backend), and its advisory lock went with it.
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }
}

using Npgsql;

namespace CartRecovery.Bench.Storage;

/// <summary>
/// Writes the database holds per provider: the sum of the stored versions (each write adds one),
/// to check that every acknowledged write really was stored.
/// </summary>
internal static class StoredWrites
{
    public static Task<double> OursAsync(string connectionString, CancellationToken cancellationToken) =>
        SumAsync(connectionString, "SELECT coalesce(sum(version), 0) FROM grain_state WHERE grain_type = 'benchcart'", cancellationToken);

    public static Task<double> AdoNetAsync(string connectionString, CancellationToken cancellationToken) =>
        SumAsync(connectionString, "SELECT coalesce(sum(version), 0) FROM adonet_grain_state", cancellationToken);

    private static async Task<double> SumAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToDouble(await command.ExecuteScalarAsync(cancellationToken));
    }
}

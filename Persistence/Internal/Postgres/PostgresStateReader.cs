using CartRecovery.Persistence.Internal.Reads;
using Npgsql;

namespace CartRecovery.Persistence.Internal.Postgres;

// Answers coalesced reads in one round trip: one statement per grain type and state name
// (grain_key = ANY(keys)), all in one NpgsqlBatch; a lone read is a plain point query.
internal sealed class PostgresStateReader(NpgsqlDataSource dataSource) : IStateReader
{
    private const string One = "SELECT grain_key, payload, version FROM grain_state WHERE grain_type = $1 AND state_name = $2 AND grain_key = $3";
    private const string Many = "SELECT grain_key, payload, version FROM grain_state WHERE grain_type = $1 AND state_name = $2 AND grain_key = ANY($3)";

    public async Task<int> ReadAsync(IReadOnlyList<ReadRequest> batch, CancellationToken cancellationToken)
    {
        var groups = batch.GroupBy(r => (r.Key.GrainType, r.Key.StateName)).Select(g => g.ToList()).ToList();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlBatch(connection);
        foreach (var group in groups)
        {
            var keys = group.Select(r => r.Key.GrainKey).Distinct().ToArray();
            var statement = new NpgsqlBatchCommand(keys.Length == 1 ? One : Many);
            statement.Parameters.Add(new NpgsqlParameter { Value = group[0].Key.GrainType });
            statement.Parameters.Add(new NpgsqlParameter { Value = group[0].Key.StateName });
            statement.Parameters.Add(new NpgsqlParameter { Value = keys.Length == 1 ? keys[0] : keys });
            command.BatchCommands.Add(statement);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        foreach (var group in groups)
        {
            var found = new Dictionary<string, StoredState>(StringComparer.Ordinal);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found[reader.GetString(0)] = new StoredState(reader.GetString(1), reader.GetInt64(2));
            }

            foreach (var request in group)
            {
                request.Complete(found.GetValueOrDefault(request.Key.GrainKey));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        return groups.Count;
    }
}

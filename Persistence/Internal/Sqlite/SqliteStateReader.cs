using System.Collections.Concurrent;
using System.Text.Json;
using CartRecovery.Persistence.Internal.Reads;
using Microsoft.Data.Sqlite;

namespace CartRecovery.Persistence.Internal.Sqlite;

// Answers coalesced reads on pooled reader connections, each with its queries prepared once:
// one point query for a lone read, and for several keys of one grain type one query over a JSON
// array of keys (json_each). Autocommit reads in WAL mode never block the writer.
internal sealed class SqliteStateReader(string connectionString) : IStateReader, IDisposable
{
    private const int MaxIdleConnections = 4;
    private readonly ConcurrentBag<Connection> _idle = new();

    public Task<int> ReadAsync(IReadOnlyList<ReadRequest> batch, CancellationToken cancellationToken)
    {
        Connection? connection = null;
        try
        {
            connection = _idle.TryTake(out var pooled) ? pooled : new Connection(connectionString);
            var queries = 0;
            foreach (var group in batch.GroupBy(r => (r.Key.GrainType, r.Key.StateName)))
            {
                queries++;
                var requests = group.ToList();
                if (requests.Count == 1)
                {
                    requests[0].Complete(connection.ReadOne(requests[0].Key));
                    continue;
                }

                var found = connection.ReadMany(group.Key.GrainType, group.Key.StateName, requests.Select(r => r.Key.GrainKey).Distinct().ToArray());
                foreach (var request in requests)
                {
                    request.Complete(found.GetValueOrDefault(request.Key.GrainKey));
                }
            }

            Return(connection);
            return Task.FromResult(queries);
        }
        catch (Exception e)
        {
            // A reader that failed is dropped rather than reused.
            connection?.Dispose();
            return Task.FromException<int>(e);
        }
    }

    private void Return(Connection connection)
    {
        if (_idle.Count >= MaxIdleConnections)
        {
            connection.Dispose();
        }
        else
        {
            _idle.Add(connection);
        }
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var connection))
        {
            connection.Dispose();
        }
    }

    private sealed class Connection : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _one;
        private readonly SqliteCommand _many;

        public Connection(string connectionString)
        {
            _connection = SqliteConnections.OpenReader(connectionString);
            _one = Prepare("SELECT payload, version FROM grain_state WHERE grain_type=$t AND grain_key=$k AND state_name=$s");
            _many = Prepare("SELECT grain_key, payload, version FROM grain_state WHERE grain_type=$t AND state_name=$s AND grain_key IN (SELECT value FROM json_each($k))");
        }

        public StoredState? ReadOne(StateKey key)
        {
            Bind(_one, key.GrainType, key.GrainKey, key.StateName);
            using var reader = _one.ExecuteReader();
            return reader.Read() ? new StoredState(reader.GetString(0), reader.GetInt64(1)) : null;
        }

        public Dictionary<string, StoredState> ReadMany(string grainType, string stateName, string[] keys)
        {
            Bind(_many, grainType, JsonSerializer.Serialize(keys, KeysJson.Default.StringArray), stateName);
            var found = new Dictionary<string, StoredState>(keys.Length, StringComparer.Ordinal);
            using var reader = _many.ExecuteReader();
            while (reader.Read())
            {
                found[reader.GetString(0)] = new StoredState(reader.GetString(1), reader.GetInt64(2));
            }

            return found;
        }

        private SqliteCommand Prepare(string sql)
        {
            var command = _connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.Add("$t", SqliteType.Text);
            command.Parameters.Add("$k", SqliteType.Text);
            command.Parameters.Add("$s", SqliteType.Text);
            command.Prepare();
            return command;
        }

        private static void Bind(SqliteCommand command, string type, string key, string state)
        {
            command.Parameters[0].Value = type;
            command.Parameters[1].Value = key;
            command.Parameters[2].Value = state;
        }

        public void Dispose()
        {
            _one.Dispose();
            _many.Dispose();
            _connection.Dispose();
        }
    }
}

// The key list of a coalesced read, as the JSON array json_each reads.
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class KeysJson : System.Text.Json.Serialization.JsonSerializerContext;

using System.Data;
using System.Data.Common;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Registry;

/// <summary>
/// The registry operations in SQL common to SQLite and PostgreSQL; subclasses supply connections, DDL,
/// the promotion transaction's locking, time encoding and the trainer lock.
/// </summary>
public abstract class SqlModelRegistry : IModelRegistry
{
    private const string Columns =
        "id, algorithm, features, hyper_parameters, training_from, training_to, metrics, status, created_at";

    private readonly TimeProvider _time;

    protected SqlModelRegistry(TimeProvider? time) => _time = time ?? TimeProvider.System;

    public abstract Task EnsureSchemaAsync(CancellationToken cancellationToken = default);

    public abstract Task<ITrainerLock?> TryAcquireTrainerLockAsync(CancellationToken cancellationToken = default);

    public async Task<long> AddCandidateAsync(OnnxModel model, CancellationToken cancellationToken = default)
    {
        var meta = model.Info;
        await using var conn = await OpenAsync(cancellationToken);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText =
            "INSERT INTO model_versions (algorithm, features, hyper_parameters, training_from, training_to, metrics, status, created_at, payload) " +
            $"VALUES (@algorithm, {Json("@features")}, {Json("@hyper")}, @from, @to, {Json("@metrics")}, 'candidate', @created, @payload) RETURNING id";
        Add(cmd, "@algorithm", meta.Algorithm);
        Add(cmd, "@features", ModelVersionJson.Features(model));
        Add(cmd, "@hyper", ModelVersionJson.HyperParameters(meta.HyperParameters));
        Add(cmd, "@from", meta.TrainingFrom is { } f ? TimeValue(f) : DBNull.Value);
        Add(cmd, "@to", meta.TrainingTo is { } t ? TimeValue(t) : DBNull.Value);
        Add(cmd, "@metrics", ModelVersionJson.Metrics(meta.Metrics, meta.FeatureImportance));
        Add(cmd, "@created", TimeValue(_time.GetUtcNow()));
        Add(cmd, "@payload", model.ToBytes());
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<ModelVersion?> GetAsync(long id, CancellationToken cancellationToken = default) =>
        (await QueryAsync($"SELECT {Columns}, payload FROM model_versions WHERE id = @id", id, withPayload: true, cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<ModelVersion>> ListAsync(CancellationToken cancellationToken = default) =>
        await QueryAsync($"SELECT {Columns} FROM model_versions ORDER BY id DESC", null, withPayload: false, cancellationToken);

    public async Task<ModelVersion?> GetActiveAsync(CancellationToken cancellationToken = default) =>
        (await QueryAsync($"SELECT {Columns}, payload FROM model_versions WHERE status = 'active'", null, withPayload: true, cancellationToken)).SingleOrDefault();

    public async Task<PromotionResult> TryPromoteAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken);
        await using var tx = await BeginPromotionAsync(conn, cancellationToken);

        (string Status, double Auc)? candidate = null;
        (long Id, double Auc)? active = null;
        await using (var cmd = Command(conn, tx, "SELECT id, status, metrics FROM model_versions WHERE id = @id OR status = 'active'"))
        {
            Add(cmd, "@id", id);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var rowId = reader.GetInt64(0);
                var status = reader.GetString(1);
                var auc = ModelVersionJson.Auc(reader.GetString(2));
                if (rowId == id)
                {
                    candidate = (status, auc);
                }

                if (status == "active")
                {
                    active = (rowId, auc);
                }
            }
        }

        if (candidate is not { } c)
        {
            return new PromotionResult(id, PromotionOutcome.NotFound, active?.Id, null, null, $"model version {id} does not exist");
        }

        if (c.Status != "candidate")
        {
            return new PromotionResult(id, PromotionOutcome.NotCandidate, active?.Id, null, null, $"model version {id} is {c.Status}, not a candidate");
        }

        var decision = PromotionRule.Decide(id, c.Auc, active);
        if (!decision.Promoted)
        {
            await tx.RollbackAsync(cancellationToken);
            return decision;
        }

        // Retire first: the unique index on the active status allows only one active row at any moment.
        await using (var retire = Command(conn, tx, "UPDATE model_versions SET status = 'retired' WHERE status = 'active'"))
        {
            await retire.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var promote = Command(conn, tx, "UPDATE model_versions SET status = 'active' WHERE id = @id AND status = 'candidate'"))
        {
            Add(promote, "@id", id);
            if (await promote.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                throw new DBConcurrencyException($"model version {id} changed during promotion");
            }
        }

        await tx.CommitAsync(cancellationToken);
        return decision;
    }

    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Starts the promotion transaction holding a lock that serialises promotions against each other.</summary>
    protected abstract Task<DbTransaction> BeginPromotionAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>SQL for a JSON-typed parameter (PostgreSQL casts text to jsonb).</summary>
    protected abstract string Json(string parameter);

    protected abstract object TimeValue(DateTimeOffset time);

    protected abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    protected static DbCommand Command(DbConnection conn, DbTransaction? tx, string sql)
    {
        var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd;
    }

    protected static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }

    private async Task<List<ModelVersion>> QueryAsync(string sql, long? id, bool withPayload, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = Command(conn, null, sql);
        if (id is { } value)
        {
            Add(cmd, "@id", value);
        }

        var result = new List<ModelVersion>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var metrics = reader.GetString(6);
            result.Add(new ModelVersion(
                reader.GetInt64(0),
                reader.GetString(1),
                ModelVersionJson.ParseFeatures(reader.GetString(2)),
                ModelVersionJson.ParseHyperParameters(reader.GetString(3)),
                reader.IsDBNull(4) ? null : ReadTime(reader, 4),
                reader.IsDBNull(5) ? null : ReadTime(reader, 5),
                ModelVersionJson.ParseMetrics(metrics),
                ModelVersionJson.ParseStatus(reader.GetString(7)),
                ReadTime(reader, 8),
                withPayload ? reader.GetFieldValue<byte[]>(9) : null)
            {
                FeatureImportance = ModelVersionJson.ParseImportance(metrics),
            });
        }

        return result;
    }
}

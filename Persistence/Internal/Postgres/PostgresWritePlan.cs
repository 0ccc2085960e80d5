using CartRecovery.Persistence.Internal.Writes;
using Npgsql;
using NpgsqlTypes;

namespace CartRecovery.Persistence.Internal.Postgres;

// Turns a batch into the statements of one NpgsqlBatch. Writes are split into rounds, round n
// holding the n-th write of each key, and rounds run in order: two writes of one grain in a batch
// then behave as if sequential, and no statement touches a row twice (which ON CONFLICT DO UPDATE
// forbids). Most batches are a single round.
internal sealed class PostgresWritePlan
{
    private readonly List<(NpgsqlBatchCommand Command, Action<NpgsqlDataReader> OnRow)> _steps = [];
    private readonly HashSet<WriteOp> _answered = new(ReferenceEqualityComparer.Instance);
    private readonly IReadOnlyList<WriteOp> _batch;

    private PostgresWritePlan(IReadOnlyList<WriteOp> batch) => _batch = batch;

    public IEnumerable<(NpgsqlBatchCommand Command, Action<NpgsqlDataReader> OnRow)> Steps => _steps;

    public static PostgresWritePlan Build(IReadOnlyList<WriteOp> batch)
    {
        var plan = new PostgresWritePlan(batch);
        var occurrences = new Dictionary<(int, string, string, string), int>();
        var rounds = new List<List<int>>();
        for (var i = 0; i < batch.Count; i++)
        {
            var round = occurrences[batch[i].Identity] = occurrences.GetValueOrDefault(batch[i].Identity) + 1;
            if (rounds.Count < round)
            {
                rounds.Add([]);
            }

            rounds[round - 1].Add(i);
        }

        foreach (var round in rounds)
        {
            plan.AddRound(round);
        }

        return plan;
    }

    // After the batch ran: a write its statement did not return was refused.
    public void Finish()
    {
        foreach (var op in _batch)
        {
            if (_answered.Contains(op))
            {
                continue;
            }

            switch (op)
            {
                case StateWriteOp state:
                    state.Refuse(null);
                    break;
                case ReminderDeleteOp delete:
                    delete.NotFound();
                    break;
                default:
                    throw new InvalidOperationException($"the database returned no result for {op.GetType().Name} {op.Identity}");
            }
        }
    }

    private void AddRound(List<int> round)
    {
        var ops = round.Select(i => (Index: i, Op: _batch[i])).ToList();
        var states = ops.Where(o => o.Op is StateWriteOp).Select(o => (o.Index, Op: (StateWriteOp)o.Op)).ToList();
        var updates = states.Where(s => !s.Op.IsClear && s.Op.ExpectedVersion is not null).ToList();
        var inserts = states.Where(s => !s.Op.IsClear && s.Op.ExpectedVersion is null).ToList();
        var deletes = states.Where(s => s.Op.IsClear && s.Op.ExpectedVersion is not null).ToList();
        var clears = states.Where(s => s.Op.IsClear && s.Op.ExpectedVersion is null).ToList();
        var upserts = ops.Where(o => o.Op is ReminderUpsertOp).Select(o => (ReminderUpsertOp)o.Op).ToList();
        var removals = ops.Where(o => o.Op is ReminderDeleteOp).Select(o => (o.Index, Op: (ReminderDeleteOp)o.Op)).ToList();
        var appends = ops.Where(o => o.Op is JournalAppendOp).Select(o => (JournalAppendOp)o.Op).ToList();
        var trims = ops.Where(o => o.Op is JournalTrimOp).Select(o => (JournalTrimOp)o.Op).ToList();

        Add(updates.Count, PostgresSql.UpdateStates, [Texts(updates, k => k.GrainType), Texts(updates, k => k.GrainKey), Texts(updates, k => k.StateName),
            Json(updates), Longs(updates.Select(u => u.Op.ExpectedVersion!.Value)), Ints(updates.Select(u => u.Index))],
            row => Answer(_batch[row.GetInt32(0)], op => ((StateWriteOp)op).Succeeded(row.GetInt64(1))));

        var inserted = inserts.ToDictionary(s => s.Op.Key, s => s.Op);
        Add(inserts.Count, PostgresSql.InsertStates, [Texts(inserts, k => k.GrainType), Texts(inserts, k => k.GrainKey), Texts(inserts, k => k.StateName), Json(inserts)],
            row => Answer(inserted[new StateKey(row.GetString(0), row.GetString(1), row.GetString(2))], op => ((StateWriteOp)op).Succeeded(1)));

        Add(deletes.Count, PostgresSql.DeleteStates, [Texts(deletes, k => k.GrainType), Texts(deletes, k => k.GrainKey), Texts(deletes, k => k.StateName),
            Longs(deletes.Select(d => d.Op.ExpectedVersion!.Value)), Ints(deletes.Select(d => d.Index))],
            row => Answer(_batch[row.GetInt32(0)], op => ((StateWriteOp)op).Succeeded(0)));

        // A clear without an ETag succeeds unless a record exists: answered up front, refused by a returned row.
        clears.ForEach(c => Answer(c.Op, op => ((StateWriteOp)op).Succeeded(0)));
        Add(clears.Count, PostgresSql.ExistingStates, [Texts(clears, k => k.GrainType), Texts(clears, k => k.GrainKey), Texts(clears, k => k.StateName), Ints(clears.Select(c => c.Index))],
            row => ((StateWriteOp)_batch[row.GetInt32(0)]).Refuse(row.GetInt64(1)));

        var upserted = upserts.ToDictionary(u => (u.ServiceId, u.GrainId, u.Name));
        Add(upserts.Count, PostgresSql.UpsertReminders, [upserts.Select(u => u.ServiceId).ToArray(), upserts.Select(u => u.GrainId).ToArray(), upserts.Select(u => u.Name).ToArray(),
            Param(upserts.Select(u => u.StartAtUtc).ToArray(), NpgsqlDbType.TimestampTz), Longs(upserts.Select(u => u.PeriodMs)), Longs(upserts.Select(u => (long)u.GrainHash))],
            row => Answer(upserted[(row.GetString(0), row.GetString(1), row.GetString(2))], op => ((ReminderUpsertOp)op).NewVersion = row.GetInt64(3)));

        Add(removals.Count, PostgresSql.DeleteReminders, [removals.Select(r => r.Op.ServiceId).ToArray(), removals.Select(r => r.Op.GrainId).ToArray(),
            removals.Select(r => r.Op.Name).ToArray(), Longs(removals.Select(r => r.Op.Version)), Ints(removals.Select(r => r.Index))],
            row => Answer(_batch[row.GetInt32(0)], _ => { }));

        // Journal statements return no rows: they succeed with the batch or fail with it.
        appends.ForEach(a => Answer(a, _ => { }));
        Add(appends.Count, PostgresSql.AppendJournal, [Longs(appends.Select(a => a.Sequence)), Param(appends.Select(a => a.Payload).ToArray(), NpgsqlDbType.Bytea)], _ => { });
        if (trims.Count > 0)
        {
            trims.ForEach(t => Answer(t, _ => { }));
            Add(1, PostgresSql.TrimJournal, [trims.Max(t => t.Below)], _ => { });
        }
    }

    private void Answer(WriteOp op, Action<WriteOp> record)
    {
        _answered.Add(op);
        record(op);
    }

    private void Add(int count, string sql, object[] columns, Action<NpgsqlDataReader> onRow)
    {
        if (count == 0)
        {
            return;
        }

        var command = new NpgsqlBatchCommand(sql);
        foreach (var column in columns)
        {
            command.Parameters.Add(column as NpgsqlParameter ?? new NpgsqlParameter { Value = column });
        }

        _steps.Add((command, onRow));
    }

    private static string[] Texts(List<(int Index, StateWriteOp Op)> ops, Func<StateKey, string> field) => ops.Select(o => field(o.Op.Key)).ToArray();

    private static NpgsqlParameter Json(List<(int Index, StateWriteOp Op)> ops) => Param(ops.Select(o => o.Op.Payload!.Value.Text).ToArray(), NpgsqlDbType.Jsonb);

    private static NpgsqlParameter Longs(IEnumerable<long> values) => Param(values.ToArray(), NpgsqlDbType.Bigint);

    private static NpgsqlParameter Ints(IEnumerable<int> values) => Param(values.ToArray(), NpgsqlDbType.Integer);

    private static NpgsqlParameter Param(Array values, NpgsqlDbType elementType) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };
}

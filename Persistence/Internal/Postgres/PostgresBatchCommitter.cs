using CartRecovery.Persistence.Internal.Writes;
using Npgsql;
using NpgsqlTypes;
using Polly;
using Polly.Retry;

namespace CartRecovery.Persistence.Internal.Postgres;

// Commits a batch as one NpgsqlBatch without an explicit transaction: PostgreSQL runs the
// statements of one batch in an implicit transaction that commits when the batch ends, so a batch
// of any size is one round trip, and the results are read only once the commit has happened.
internal sealed class PostgresBatchCommitter(NpgsqlDataSource dataSource) : IBatchCommitter
{
    /// <summary>
    /// Another silo's batch locked the same rows in another order, or a serialization failure: ours
    /// rolled back whole, so it can run again (twice more, after a short jittered pause).
    /// </summary>
    private static readonly ResiliencePipeline Conflicts = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 2,
            Delay = TimeSpan.FromMilliseconds(10),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = new PredicateBuilder().Handle<PostgresException>(e => e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure),
        })
        .Build();

    public async Task CommitAsync(IReadOnlyList<WriteOp> batch, CancellationToken cancellationToken)
    {
        await Conflicts.ExecuteAsync(
            static async (state, ct) =>
            {
                foreach (var op in state.batch)
                {
                    op.ResetOutcome();
                }

                await state.self.ExecuteAsync(state.batch, ct).ConfigureAwait(false);
            },
            (self: this, batch),
            cancellationToken).ConfigureAwait(false);

        await DescribeRefusalsAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    private async Task ExecuteAsync(IReadOnlyList<WriteOp> batch, CancellationToken cancellationToken)
    {
        var plan = PostgresWritePlan.Build(batch);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlBatch(connection);
        var handlers = new List<Action<NpgsqlDataReader>>();
        foreach (var (statement, onRow) in plan.Steps)
        {
            command.BatchCommands.Add(statement);
            handlers.Add(onRow);
        }

        if (handlers.Count > 0)
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                foreach (var onRow in handlers)
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        onRow(reader);
                    }

                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                }

                // Closing consumes the end of the batch, where a failed commit would be reported.
                await reader.CloseAsync().ConfigureAwait(false);
            }
        }

        plan.Finish();
    }

    // Finds the stored versions of refused writes, for their exceptions. Runs after the commit and
    // outside it (the version is for the message only), so it never delays or fails the batch.
    private async Task DescribeRefusalsAsync(IReadOnlyList<WriteOp> batch, CancellationToken cancellationToken)
    {
        var refused = batch.Select((op, i) => (Op: op as StateWriteOp, Index: i)).Where(r => r.Op is { Refused: true, StoredVersion: null }).ToList();
        if (refused.Count == 0)
        {
            return;
        }

        try
        {
            await using var command = dataSource.CreateCommand(PostgresSql.ExistingStates);
            command.Parameters.Add(new NpgsqlParameter { Value = refused.Select(r => r.Op!.Key.GrainType).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = refused.Select(r => r.Op!.Key.GrainKey).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = refused.Select(r => r.Op!.Key.StateName).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = refused.Select(r => r.Index).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ((StateWriteOp)batch[reader.GetInt32(0)]).Refuse(reader.GetInt64(1));
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The refusals stand; their messages just lack the stored version.
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

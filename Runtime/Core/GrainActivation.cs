using CartRecovery.Runtime.Diagnostics;
using CartRecovery.Runtime.Partitions;
using CartRecovery.Runtime.Timers;

namespace CartRecovery.Runtime;

/// <summary>
/// One live grain: its instance, its turn lock (one turn at a time, held across awaits), its
/// states and timers. Once defunct, callers that still hold it look the grain up again.
/// </summary>
internal sealed class GrainActivation(GrainId id, GrainRegistration registration, PartitionContext partition, GrainRuntime runtime)
{
    public GrainId Id { get; } = id;

    public GrainRegistration Registration { get; } = registration;

    public PartitionContext Partition { get; } = partition;

    public GrainRuntime Runtime { get; } = runtime;

    public SemaphoreSlim Turn { get; } = new(1, 1);

    public Grain? Instance { get; private set; }

    public List<IStateEntry> States { get; } = new(1);

    public bool IsActivated { get; private set; }

    /// <summary>Set under the turn lock when the activation is gone; readers re-check after taking the lock.</summary>
    public volatile bool IsDefunct;

    /// <summary>Dropped without writing (stale state or partition lost); its pending snapshots are void.</summary>
    public volatile bool Discarded;

    public bool DeactivateAfterTurn { get; set; }

    /// <summary>While set, idle collection skips this activation.</summary>
    public volatile bool KeepAlive;

    public long LastUsedTicks = Environment.TickCount64;

    private List<GrainTimer>? _timers;

    public void Touch() => LastUsedTicks = Environment.TickCount64;

    /// <summary>Creates the instance, reads its states and runs OnActivateAsync. Called under the turn lock.</summary>
    public async Task ActivateAsync(CancellationToken cancellationToken)
    {
        try
        {
            CreateInstance();
            foreach (var state in States)
            {
                await state.ReadAsync(cancellationToken);
            }
        }
        catch (Exception e)
        {
            var error = Fail(e);
            if (ReferenceEquals(error, e))
            {
                throw;
            }

            throw error;
        }

        await CompleteActivationAsync(cancellationToken);
    }

    /// <summary>Creates the grain instance (and with it its states, not yet read). Called under the turn lock.</summary>
    public void CreateInstance()
    {
        States.Clear();
        Instance = Registration.Create(Runtime.Services, this);
        Instance.Activation = this;
    }

    /// <summary>Undoes <see cref="CreateInstance"/> when states loaded in advance could not be used; the first call activates as usual.</summary>
    public void ResetInstance()
    {
        StopTimers();
        States.Clear();
        Instance = null;
    }

    /// <summary>Runs OnActivateAsync once the states are loaded. Called under the turn lock.</summary>
    public async Task CompleteActivationAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Instance!.OnActivateAsync(cancellationToken);
            IsActivated = true;
            Runtime.Metrics.ActivationCreated(Id.Type);
        }
        catch (Exception e)
        {
            var error = Fail(e);
            if (ReferenceEquals(error, e))
            {
                throw;
            }

            throw error;
        }
    }

    private Exception Fail(Exception e)
    {
        IsDefunct = true;
        Runtime.Catalog.Remove(this);
        StopTimers();
        return e is GrainStateException or OperationCanceledException ? e
            : new InvalidOperationException($"activation of grain {Id} failed: {e.Message}", e);
    }

    public IDisposable RegisterTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new GrainTimer(this, callback, dueTime, period);
        (_timers ??= new()).Add(timer);
        return timer;
    }

    internal void RemoveTimer(GrainTimer timer) => _timers?.Remove(timer);

    public void StopTimers()
    {
        if (_timers is null)
        {
            return;
        }

        foreach (var t in _timers.ToArray())
        {
            t.Dispose();
        }

        _timers.Clear();
    }

    /// <summary>
    /// Ends the activation for a partition release: its dirty states stay queued for the
    /// partition's final checkpoint instead of being written one by one.
    /// </summary>
    public async Task RetireLockedAsync(DeactivationReason reason)
    {
        if (IsDefunct)
        {
            return;
        }

        await RunOnDeactivateAsync(reason);
        IsDefunct = true;
        Runtime.Catalog.Remove(this);
        if (IsActivated)
        {
            Runtime.Metrics.ActivationRemoved(Id.Type);
        }
    }

    private async Task RunOnDeactivateAsync(DeactivationReason reason)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        if (IsActivated && Instance is not null)
        {
            try
            {
                await Instance.OnDeactivateAsync(reason, cts.Token);
            }
            catch (Exception e)
            {
                Runtime.Log.DeactivationFailed(e, Id.ToString());
            }
        }

        StopTimers();
    }

    /// <summary>
    /// Ends the activation under the turn lock: best-effort OnDeactivateAsync, then (when
    /// <paramref name="persist"/>) dirty state is written before the activation disappears.
    /// </summary>
    public async Task DeactivateLockedAsync(DeactivationReason reason, bool persist)
    {
        if (IsDefunct)
        {
            return;
        }

        await RunOnDeactivateAsync(reason);
        try
        {
            if (persist && !Partition.Closed)
            {
                foreach (var state in States)
                {
                    if (state.IsDirty)
                    {
                        await state.PersistNowAsync();
                    }
                }
            }
        }
        finally
        {
            foreach (var state in States)
            {
                Partition.Forget(state);
            }

            IsDefunct = true;
            Runtime.Catalog.Remove(this);
            if (IsActivated)
            {
                Runtime.Metrics.ActivationRemoved(Id.Type);
            }
        }
    }
}

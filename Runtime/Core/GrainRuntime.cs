using System.Collections.Concurrent;
using System.Text.Json;
using CartRecovery.Runtime.Configuration;
using CartRecovery.Runtime.Diagnostics;
using CartRecovery.Runtime.Partitions;
using CartRecovery.Runtime.Reminders;
using CartRecovery.Runtime.Storage;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Runtime;

/// <summary>
/// The silo's actor engine: activations, turns, partitions this silo owns, checkpoints, reminders
/// and idle collection. It knows nothing of the domain; grains are registered by the host.
/// </summary>
public sealed partial class GrainRuntime : IGrainFactory, IAsyncDisposable
{
    private readonly GrainRegistry _registry;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = new();
    private readonly ConcurrentQueue<PartitionContext> _checkpointRequests = new();
    private readonly SemaphoreSlim _checkpointSignal = new(0);

    public GrainRuntime(
        RuntimeOptions options,
        IGrainStorage storage,
        IEnumerable<GrainTypeDescriptor> grains,
        JsonSerializerOptions stateJson,
        IServiceProvider services,
        ILogger<GrainRuntime> logger,
        TimeProvider? time = null)
    {
        options.Validate();
        Options = options;
        Storage = storage;
        Services = services;
        Log = logger;
        Time = time ?? TimeProvider.System;
        Map = new PartitionMap(options.Partitions);
        _registry = new GrainRegistry(grains, stateJson);
        Metrics = new RuntimeMetrics();
        Checkpointer = new Checkpointer(this);
        Reminders = new ReminderService(this);
        Partitions = new PartitionTable();
        Catalog = new Catalog(this);
        Metrics.ObserveOwnedPartitions(() => Partitions.Owned.Count);
    }

    public RuntimeOptions Options { get; }

    public IGrainStorage Storage { get; }

    public TimeProvider Time { get; }

    public PartitionMap Map { get; }

    public RuntimeMetrics Metrics { get; }

    public ReminderService Reminders { get; }

    public string SiloId => Options.SiloId;

    public IGrainFactory Factory => this;

    internal IServiceProvider Services { get; }

    internal ILogger Log { get; }

    internal Checkpointer Checkpointer { get; }

    internal PartitionTable Partitions { get; }

    internal Catalog Catalog { get; }

    /// <summary>Raised after a partition's checkpoint committed, with the offset watermark it recorded.</summary>
    public event Action<int, long?>? Checkpointed;

    /// <summary>Raised when a partition was taken by another silo (a stale epoch was detected).</summary>
    public event Action<int>? PartitionLost;

    /// <summary>Partitions this silo owns now.</summary>
    public IReadOnlyCollection<int> OwnedPartitions => Partitions.Owned;

    public bool Owns(int partition) => Partitions.Get(partition) is not null;

    public int ActivationCount => Catalog.Count;

    /// <summary>Migrates storage, takes the partitions (all of them when <see cref="RuntimeOptions.OwnAllPartitions"/>) and starts the background loops.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Storage.MigrateAsync(cancellationToken);
        if (Options.OwnAllPartitions)
        {
            for (var p = 0; p < Map.Count; p++)
            {
                await AcquirePartitionAsync(p, cancellationToken);
            }
        }

        _loops.Add(Task.Run(CheckpointLoopAsync));
        _loops.Add(Task.Run(CollectionLoopAsync));
        if (Options.ReminderPollInterval > TimeSpan.Zero)
        {
            _loops.Add(Task.Run(ReminderLoopAsync));
        }

        Log.Started(SiloId, Map.Count, Storage.ProviderName);
    }

    /// <summary>Checkpoints and releases every owned partition, then stops the loops.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        foreach (var p in Partitions.Owned.ToArray())
        {
            try
            {
                await ReleasePartitionAsync(p, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.LoopFailed(e, "release partition " + p);
            }
        }

        await _stopping.CancelAsync();
        _checkpointSignal.Release();
        await Task.WhenAll(_loops.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        Metrics.Dispose();
    }

    public TGrain GetGrain<TGrain>(string key) where TGrain : class
    {
        var id = IdOf<TGrain>(key);
        var proxy = System.Reflection.DispatchProxy.Create<TGrain, GrainProxy>();
        var p = (GrainProxy)(object)proxy;
        p.Runtime = this;
        p.Id = id;
        return proxy;
    }

    /// <summary>
    /// Calls a grain through a typed delegate instead of a reference: the same turn, activation and
    /// timeout as a call through <see cref="GetGrain{TGrain}"/>, without creating a proxy object.
    /// For hot paths that call many different grains once each (event ingestion): with a static
    /// <paramref name="call"/> that takes what it needs from <paramref name="arg"/>, a call
    /// allocates no delegate either.
    /// </summary>
    public Task<TResult> CallAsync<TGrain, TArg, TResult>(string key, string method, TArg arg, Func<TGrain, TArg, Task<TResult>> call) where TGrain : class
    {
        return CallAsync(IdOf<TGrain>(key), method, static (grain, a) => a.Call((TGrain)(object)grain, a.Arg), (Call: call, Arg: arg));
    }

    /// <summary>The identity a grain reference of this interface and key would call.</summary>
    public GrainId IdOf<TGrain>(string key) where TGrain : class
    {
        var registration = _registry.ForInterface(typeof(TGrain));
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new ArgumentException($"grain key must not be empty (grain type '{registration.TypeName}')", nameof(key));
        }

        return new GrainId(registration.TypeName, key);
    }

    /// <summary>
    /// Activates grains ahead of their first calls, reading all their states in one storage round
    /// trip instead of one per grain (an event batch touches many grains that are not active yet).
    /// Grains that are active, being activated, busy or not hosted here are skipped, as are grains
    /// whose activation fails here: their first call then activates them the usual way and reports
    /// the failure. Safe to call concurrently with calls to the same grains: a grain is claimed by
    /// taking its turn lock without waiting, so no call can see it half activated.
    /// </summary>
    public async Task PrefetchAsync(IEnumerable<GrainId> ids, CancellationToken cancellationToken = default)
    {
        var claimed = new List<GrainActivation>();
        try
        {
            foreach (var id in ids)
            {
                if (Catalog.Find(id) is { IsActivated: true } || Partitions.Get(Map.Of(id)) is null)
                {
                    continue;
                }

                GrainActivation activation;
                try
                {
                    activation = Catalog.GetOrCreate(id);
                }
                catch (PartitionNotOwnedException)
                {
                    continue;
                }

                if (activation.IsActivated || activation.IsDefunct || !activation.Turn.Wait(0))
                {
                    continue;
                }

                if (activation.IsActivated || activation.IsDefunct)
                {
                    activation.Turn.Release();
                    continue;
                }

                claimed.Add(activation);
            }

            if (claimed.Count == 0)
            {
                return;
            }

            var keys = new List<StateKey>(claimed.Count);
            foreach (var activation in claimed)
            {
                activation.CreateInstance();
                foreach (var state in activation.States)
                {
                    keys.Add(new StateKey(activation.Id.Type, activation.Id.Key, state.Name));
                }
            }

            StoredState?[] stored;
            try
            {
                stored = keys.Count == 0 ? [] : await Storage.ReadManyAsync(keys, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                foreach (var activation in claimed)
                {
                    activation.ResetInstance();
                }

                return;
            }

            var first = 0;
            foreach (var activation in claimed)
            {
                var states = activation.States;
                var count = states.Count;
                try
                {
                    for (var i = 0; i < count; i++)
                    {
                        states[i].Load(stored[first + i]);
                    }
                }
                catch (GrainStateException)
                {
                    // A record that does not deserialize: the grain's own first call reports it.
                    activation.ResetInstance();
                    continue;
                }
                finally
                {
                    first += count;
                }

                try
                {
                    await activation.CompleteActivationAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    // OnActivateAsync failed: the activation is gone; the next call starts afresh and reports it.
                }
            }
        }
        finally
        {
            foreach (var activation in claimed)
            {
                activation.Turn.Release();
            }
        }
    }

    /// <summary>The partition that hosts the grain with this key.</summary>
    public int PartitionOf(string key) => Map.OfKey(key);

    internal GrainRegistration Registration(string typeName) => _registry.ForName(typeName);

    /// <summary>Calls a grain with the configured timeout. A timed-out call's outcome is unknown.</summary>
    internal Task<T> CallAsync<TArg, T>(GrainId id, string method, Func<Grain, TArg, Task<T>> invoker, TArg args)
    {
        var task = InvokeAsync(id, method, invoker, args);
        return task.IsCompleted ? task : WithTimeout(task, id, method);
    }

    private async Task<T> WithTimeout<T>(Task<T> task, GrainId id, string method)
    {
        try
        {
            return await task.WaitAsync(Options.CallTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException($"call to {id}.{method} did not complete within {Options.CallTimeout.TotalSeconds:0.###} s; its outcome is unknown");
        }
    }

    /// <summary>Runs one turn on the grain's activation, activating it on first use.</summary>
    internal async Task<T> InvokeAsync<TArg, T>(GrainId id, string method, Func<Grain, TArg, Task<T>> invoker, TArg args)
    {
        var started = Metrics.Start();
        var failed = true;
        try
        {
            while (true)
            {
                var activation = Catalog.GetOrCreate(id);
                await activation.Turn.WaitAsync().ConfigureAwait(false);
                if (activation.IsDefunct)
                {
                    activation.Turn.Release();
                    continue;
                }

                try
                {
                    if (!activation.IsActivated)
                    {
                        await activation.ActivateAsync(_stopping.Token).ConfigureAwait(false);
                    }

                    activation.Touch();
                    var result = await invoker(activation.Instance!, args).ConfigureAwait(false);
                    failed = false;
                    return result;
                }
                finally
                {
                    await EndTurnAsync(activation).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            Metrics.CallCompleted(started, id.Type, failed);
        }
    }

    /// <summary>Runs a turn on an existing activation (timers); does nothing if it is gone.</summary>
    internal async Task RunTurnAsync(GrainActivation activation, Func<Grain, CancellationToken, Task> body)
    {
        await activation.Turn.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!activation.IsDefunct && activation.IsActivated)
            {
                await body(activation.Instance!, _stopping.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            await EndTurnAsync(activation).ConfigureAwait(false);
        }
    }

    private async Task EndTurnAsync(GrainActivation activation)
    {
        try
        {
            if (activation.DeactivateAfterTurn && !activation.IsDefunct)
            {
                await activation.DeactivateLockedAsync(DeactivationReason.ApplicationRequested, persist: true).ConfigureAwait(false);
            }
        }
        finally
        {
            activation.Turn.Release();
        }
    }

    /// <summary>Records that events up to <paramref name="offset"/> of a partition are applied in memory.</summary>
    public void SetWatermark(int partition, long offset)
    {
        var p = Partitions.Get(partition);
        if (p is not null && (p.Watermark is null || offset > p.Watermark))
        {
            p.Watermark = offset;
        }
    }

    /// <summary>Completes when the next checkpoint of each partition has committed (group commit for acknowledgements).</summary>
    public Task WhenCheckpointedAsync(IEnumerable<int> partitions)
    {
        var waits = new List<Task>();
        foreach (var id in partitions.Distinct())
        {
            var p = Partitions.Get(id) ?? throw new PartitionNotOwnedException(default, id);
            waits.Add(p.NextCheckpoint);
        }

        return Task.WhenAll(waits);
    }

    /// <summary>Checkpoints every owned partition now.</summary>
    public async Task CheckpointAllAsync(CancellationToken cancellationToken = default)
    {
        await Checkpointer.CheckpointManyAsync(Partitions.Contexts.ToList(), cancellationToken);
    }

    internal void RequestCheckpoint(PartitionContext partition)
    {
        _checkpointRequests.Enqueue(partition);
        _checkpointSignal.Release();
    }

    internal void OnCheckpointed(PartitionContext partition, long? watermark) => Checkpointed?.Invoke(partition.Partition, watermark);
}

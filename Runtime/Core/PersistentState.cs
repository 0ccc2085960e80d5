using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CartRecovery.Runtime.Storage;

namespace CartRecovery.Runtime;

/// <summary>The runtime's view of one grain state, independent of its CLR type.</summary>
internal interface IStateEntry
{
    GrainActivation Activation { get; }

    string Name { get; }

    long? Version { get; }

    bool IsDirty { get; }

    Task ReadAsync(CancellationToken cancellationToken);

    /// <summary>Takes a record read in advance (a batched activation) as if <see cref="ReadAsync"/> had read it.</summary>
    void Load(StoredState? stored);

    /// <summary>Counts changes; a checkpoint records the stamp it serialized so later changes stay dirty.</summary>
    long Stamp { get; }

    /// <summary>Serializes the current state to UTF-8 JSON; only called while the activation's turn lock is held.</summary>
    byte[] Serialize();

    void Committed(long? version, long stamp);

    Task PersistNowAsync();
}

internal sealed class PersistentState<TState>(GrainActivation activation, string name, JsonTypeInfo<TState> typeInfo)
    : IPersistentState<TState>, IStateEntry
    where TState : new()
{
    public GrainActivation Activation { get; } = activation;

    public string Name { get; } = name;

    public TState State { get; set; } = new();

    public long? Version { get; private set; }

    private long _stamp;
    private long _written;

    public long Stamp => Volatile.Read(ref _stamp);

    public bool IsDirty => Volatile.Read(ref _written) != Volatile.Read(ref _stamp);

    public string? Etag => Version?.ToString(CultureInfo.InvariantCulture);

    public bool RecordExists => Version is not null;

    private string Describe => $"grain {Activation.Id} state '{Name}'";

    public Task ReadStateAsync() => ReadAsync(CancellationToken.None);

    public async Task ReadAsync(CancellationToken cancellationToken)
    {
        StoredState? stored;
        try
        {
            stored = await Activation.Runtime.Storage.ReadAsync(Activation.Id.Type, Activation.Id.Key, Name, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new GrainStateException($"{Describe} could not be read: {e.Message}", e);
        }

        Load(stored);
    }

    public void Load(StoredState? stored)
    {
        if (stored is null)
        {
            State = new TState();
            Version = null;
            return;
        }

        try
        {
            State = JsonSerializer.Deserialize(stored.Json, typeInfo) ?? new TState();
        }
        catch (JsonException e)
        {
            throw new GrainStateException($"{Describe} (version {stored.Version}) does not deserialize as {typeof(TState).Name}: {e.Message}; the stored record was left unchanged", e);
        }

        Version = stored.Version;
        _written = _stamp;
    }

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(State, typeInfo);

    public void MarkDirty()
    {
        Interlocked.Increment(ref _stamp);
        Activation.Runtime.Checkpointer.MarkDirty(this);
    }

    public void Committed(long? version, long stamp)
    {
        Version = version;
        Volatile.Write(ref _written, Math.Max(Volatile.Read(ref _written), stamp));
    }

    public Task WriteStateAsync() => PersistNowAsync();

    public Task PersistNowAsync()
    {
        var stamp = Stamp;
        return Activation.Runtime.Checkpointer.WriteNowAsync(this, Serialize(), stamp);
    }

    public async Task ClearStateAsync()
    {
        await Activation.Runtime.Checkpointer.WriteNowAsync(this, null, Stamp);
        State = new TState();
    }
}

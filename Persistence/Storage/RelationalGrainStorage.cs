using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CartRecovery.Persistence.Internal;
using CartRecovery.Persistence.Internal.Writes;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace CartRecovery.Persistence.Storage;

// Orleans grain storage over SQLite or PostgreSQL, states as JSON text. Reads coalesce and writes
// group-commit through the database shared by every storage on it; the ETag is the stored
// version. Writes are only acknowledged after their transaction committed.
internal sealed partial class RelationalGrainStorage : IGrainStorage, IGrainStateStore, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly string _name;
    private readonly DatabaseUser _user;
    private readonly JsonSerializerOptions _json;
    private readonly int _initStage;
    private readonly IActivatorProvider? _activators;
    private readonly ILogger _logger;

    public RelationalGrainStorage(string name, Func<StorageDatabase> database, bool createSchema, bool soleWriter, JsonSerializerOptions? json, int initStage,
        IActivatorProvider? activators, ILogger<RelationalGrainStorage> logger)
    {
        _name = name;
        _user = new DatabaseUser(database, createSchema, $"grain storage '{name}'", soleWriter);
        // Options without a resolver (not from a source-generated context) get reflection metadata.
        _json = json switch
        {
            null => JsonSerializerOptions.Default,
            { TypeInfoResolver: null } => new JsonSerializerOptions(json) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() },
            _ => json,
        };
        _initStage = initStage;
        _activators = activators;
        _logger = logger;
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe($"{nameof(RelationalGrainStorage)}-{_name}", _initStage, ct => _user.EnsureOpenAsync(ct), _ => _user.CloseAsync());

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var key = Key(stateName, grainId);
        StoredState? stored;
        try
        {
            await _user.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
            stored = await _user.Database.ReadAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.ReadFailed(_logger, e, _name, key);
            throw;
        }

        grainState.State = stored is null ? CreateInstance<T>() : Deserialize<T>(stored.Json, key) ?? CreateInstance<T>();
        grainState.ETag = stored?.Version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = stored is not null;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var key = Key(stateName, grainId);
        var op = new StateWriteOp(key, Serialize(grainState.State), ExpectedVersion(key, "write", grainState.ETag));
        await WriteAsync(op, cancellationToken).ConfigureAwait(false);
        grainState.ETag = op.NewVersion.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var key = Key(stateName, grainId);
        await WriteAsync(new StateWriteOp(key, null, ExpectedVersion(key, "clear", grainState.ETag)), cancellationToken).ConfigureAwait(false);
        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = CreateInstance<T>();
    }

    private async Task WriteAsync(StateWriteOp op, CancellationToken cancellationToken)
    {
        try
        {
            await _user.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);

            // Once queued a write is not withdrawn: it may already be in the transaction being committed.
            cancellationToken.ThrowIfCancellationRequested();
            await _user.Database.WriteAsync(op).ConfigureAwait(false);
        }
        catch (InconsistentStateException e)
        {
            Log.WriteConflict(_logger, _name, op.Key, e.CurrentEtag, e.StoredEtag);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.WriteFailed(_logger, e, _name, op.Key);
            throw;
        }
    }

    private static StateKey Key(string stateName, GrainId grainId) => new(grainId.Type.ToString()!, grainId.Key.ToString()!, stateName);

    // The version an ETag stands for; an ETag this storage never issued can only be a conflict.
    private static long? ExpectedVersion(StateKey key, string operation, string? etag) =>
        string.IsNullOrEmpty(etag) ? null
        : long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version
        : throw StateWriteOp.Conflict(key, operation, etag, null);

    private JsonPayload Serialize<T>(T? state)
    {
        var typeInfo = (JsonTypeInfo<T?>)_json.GetTypeInfo(typeof(T));
        return _user.Database.TakesTextPayload
            ? JsonPayload.FromText(JsonSerializer.Serialize(state, typeInfo))
            : JsonPayload.FromUtf8(JsonSerializer.SerializeToUtf8Bytes(state, typeInfo));
    }

    private T? Deserialize<T>(string json, StateKey key)
    {
        try
        {
            return JsonSerializer.Deserialize(json, (JsonTypeInfo<T?>)_json.GetTypeInfo(typeof(T)));
        }
        catch (JsonException e)
        {
            throw new JsonException($"The stored {key} cannot be read as {typeof(T).Name}: {e.Message}", e);
        }
    }

    private T CreateInstance<T>() => _activators is not null ? _activators.GetActivator<T>().Create() : Activator.CreateInstance<T>();
}

using System.Text.Json.Serialization;
using CartRecovery.Runtime;

namespace CartRecovery.Runtime.Tests.Grains;

public sealed class CounterState
{
    public int Value { get; set; }

    public List<string> Log { get; set; } = new();
}

[JsonSerializable(typeof(CounterState))]
public sealed partial class TestJsonContext : JsonSerializerContext;

public interface ICounterGrain : IGrain
{
    Task<int> Increment();

    Task<int> Get();

    Task Save();

    Task<string?> Etag();

    Task Reload();

    Task Fail(string message);

    Task Sleep(int milliseconds);

    Task<int> Activations();

    Task Deactivate();

    Task StartTimer(int periodMs);

    Task ScheduleReminder(string name, int dueMs);
}

/// <summary>Counts activations per key across the whole test process.</summary>
public static class ActivationLog
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Counts = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Deactivations = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Ticks = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<string>> Reminders = new();

    public static int Activated(string key) => Counts.AddOrUpdate(key, 1, (_, v) => v + 1);

    public static int ActivationsOf(string key) => Counts.GetValueOrDefault(key);

    public static void Deactivated(string key) => Deactivations.AddOrUpdate(key, 1, (_, v) => v + 1);

    public static int DeactivationsOf(string key) => Deactivations.GetValueOrDefault(key);

    public static void Tick(string key) => Ticks.AddOrUpdate(key, 1, (_, v) => v + 1);

    public static int TicksOf(string key) => Ticks.GetValueOrDefault(key);

    public static TaskCompletionSource<string> ReminderSignal(string key) =>
        Reminders.GetOrAdd(key, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
}

public sealed class CounterGrain([PersistentState("counter")] IPersistentState<CounterState> state) : Grain, ICounterGrain, IRemindable
{
    private int _inTurn;
    private int _activation;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activation = ActivationLog.Activated(Key);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        ActivationLog.Deactivated(Key);
        return Task.CompletedTask;
    }

    public async Task<int> Increment()
    {
        // Two turns overlapping would see _inTurn set; the yield gives another turn the chance to.
        if (Interlocked.Exchange(ref _inTurn, 1) != 0)
        {
            throw new InvalidOperationException("overlapping turns");
        }

        var before = state.State.Value;
        await Task.Yield();
        state.State.Value = before + 1;
        state.MarkDirty();
        Volatile.Write(ref _inTurn, 0);
        return state.State.Value;
    }

    public Task<int> Get() => Task.FromResult(state.State.Value);

    public Task Save() => state.WriteStateAsync();

    public Task<string?> Etag() => Task.FromResult(state.Etag);

    public Task Reload() => state.ReadStateAsync();

    public Task Fail(string message) => throw new ArgumentOutOfRangeException(nameof(message), message);

    public Task Sleep(int milliseconds) => Task.Delay(milliseconds);

    public Task<int> Activations() => Task.FromResult(_activation);

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task StartTimer(int periodMs)
    {
        RegisterTimer(_ =>
        {
            ActivationLog.Tick(Key);
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(periodMs), TimeSpan.FromMilliseconds(periodMs));
        return Task.CompletedTask;
    }

    public Task ScheduleReminder(string name, int dueMs)
    {
        RegisterOrUpdateReminder(name, TimeSpan.FromMilliseconds(dueMs));
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        state.State.Log.Add(reminderName);
        state.MarkDirty();
        ActivationLog.ReminderSignal(Key + ":" + reminderName).TrySetResult(reminderName);
        return Task.CompletedTask;
    }
}

public interface IUnregisteredGrain : IGrain
{
    Task Ping();
}

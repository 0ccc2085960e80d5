using CartRecovery.Runtime.Storage;
using CartRecovery.Runtime.Tests.Grains;
using CartRecovery.Runtime.Tests.Storage;

namespace CartRecovery.Runtime.Tests.Core;

/// <summary>Orleans behaviours the runtime keeps, on each storage provider.</summary>
public abstract class RuntimeBehaviourTests<TProvider>(TProvider provider) : IClassFixture<TProvider>
    where TProvider : class, IStorageProvider
{
    private static string Key(string name) => name + "-" + Guid.NewGuid().ToString("N")[..8];

    private static int StoredValue(StoredState? stored) =>
        System.Text.Json.JsonDocument.Parse(stored!.Json).RootElement.GetProperty("Value").GetInt32();

    [Fact]
    public async Task A_thousand_concurrent_calls_to_one_grain_never_overlap_and_all_count()
    {
        await using var silo = await TestSilo.StartAsync(provider.Create());
        var grain = silo.GetGrain<ICounterGrain>(Key("hot"));
        var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => Task.Run(() => grain.Increment())));
        Assert.Equal(1000, await grain.Get());
        Assert.Equal(Enumerable.Range(1, 1000), results.OrderBy(r => r));
    }

    [Fact]
    public async Task Prefetching_activates_a_batch_of_grains_with_one_read_and_races_with_calls_safely()
    {
        var stored = Enumerable.Range(0, 20).Select(i => Key("pre" + i)).ToList();
        var fresh = Enumerable.Range(0, 20).Select(i => Key("new" + i)).ToList();
        await using (var writer = await TestSilo.StartAsync(provider.Create()))
        {
            foreach (var key in stored)
            {
                await writer.GetGrain<ICounterGrain>(key).Increment();
            }

            await writer.CheckpointAllAsync();
        }

        var counting = CountingStorage.Wrap(provider.Create());
        await using var silo = await TestSilo.StartAsync(counting);
        var ids = stored.Concat(fresh).Select(k => silo.IdOf<ICounterGrain>(k)).ToList();
        await silo.PrefetchAsync(ids);
        Assert.Equal(1, CountingStorage.Calls(counting, nameof(IGrainStorage.ReadManyAsync)));
        Assert.Equal(40, silo.ActivationCount);
        foreach (var key in stored)
        {
            Assert.Equal(2, await silo.GetGrain<ICounterGrain>(key).Increment());
            Assert.Equal(2, ActivationLog.ActivationsOf(key)); // once by the writer, once here
        }

        foreach (var key in fresh)
        {
            Assert.Equal(1, await silo.GetGrain<ICounterGrain>(key).Increment());
            Assert.Equal(1, ActivationLog.ActivationsOf(key));
        }

        Assert.Equal(0, CountingStorage.Calls(counting, nameof(IGrainStorage.ReadAsync)));

        // Racing: calls and prefetches of the same new grains at once; every grain activates once and counts every call.
        var racing = Enumerable.Range(0, 30).Select(i => Key("race" + i)).ToList();
        var raceIds = racing.Select(k => silo.IdOf<ICounterGrain>(k)).ToList();
        await Task.WhenAll(
            Task.Run(() => silo.PrefetchAsync(raceIds)),
            Task.Run(() => silo.PrefetchAsync(raceIds.AsEnumerable().Reverse())),
            Task.WhenAll(racing.SelectMany(k => Enumerable.Range(0, 5).Select(_ => Task.Run(() => silo.GetGrain<ICounterGrain>(k).Increment())))));
        foreach (var key in racing)
        {
            Assert.Equal(5, await silo.GetGrain<ICounterGrain>(key).Get());
            Assert.Equal(1, ActivationLog.ActivationsOf(key));
        }
    }

    [Fact]
    public async Task A_caller_waiting_for_durability_gets_a_checkpoint_at_the_short_interval()
    {
        var storage = provider.Create();
        await using var silo = await TestSilo.StartAsync(storage, o => { o.FlushInterval = TimeSpan.FromHours(1); o.AckFlushInterval = TimeSpan.FromMilliseconds(50); });
        var key = Key("acked");
        await silo.GetGrain<ICounterGrain>(key).Increment();
        await Task.Delay(300);
        Assert.Null(await storage.ReadAsync("counter", key, "counter", CancellationToken.None));
        await silo.WhenCheckpointedAsync([silo.PartitionOf(key)]).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, StoredValue(await storage.ReadAsync("counter", key, "counter", CancellationToken.None)));
    }

    [Fact]
    public async Task Exceptions_reach_the_caller_and_the_activation_survives()
    {
        await using var silo = await TestSilo.StartAsync(provider.Create());
        var grain = silo.GetGrain<ICounterGrain>(Key("err"));
        await grain.Increment();
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.Fail("bad amount"));
        Assert.Contains("bad amount", error.Message);
        Assert.Equal(2, await grain.Increment());
    }

    [Fact]
    public async Task A_slow_call_times_out_with_a_clear_error()
    {
        await using var silo = await TestSilo.StartAsync(provider.Create(), o => o.CallTimeout = TimeSpan.FromMilliseconds(200));
        var key = Key("slow");
        var error = await Assert.ThrowsAsync<TimeoutException>(() => silo.GetGrain<ICounterGrain>(key).Sleep(3000));
        Assert.Contains($"counter/{key}.Sleep", error.Message);
        Assert.Contains("outcome is unknown", error.Message);
    }

    [Fact]
    public async Task Activation_happens_once_on_first_call_and_deactivate_on_idle_makes_a_new_one()
    {
        await using var silo = await TestSilo.StartAsync(provider.Create());
        var key = Key("life");
        var grain = silo.GetGrain<ICounterGrain>(key);
        Assert.Equal(0, ActivationLog.ActivationsOf(key));
        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => grain.Increment()));
        Assert.Equal(1, ActivationLog.ActivationsOf(key));
        await grain.Deactivate();
        Assert.Equal(1, ActivationLog.DeactivationsOf(key));
        Assert.Equal(50, await grain.Get());
        Assert.Equal(2, await grain.Activations());
    }

    [Fact]
    public async Task Idle_collection_persists_state_before_the_activation_goes()
    {
        var storage = provider.Create();
        await using var silo = await TestSilo.StartAsync(storage, o => o.FlushInterval = TimeSpan.FromHours(1));
        var key = Key("idle");
        var grain = silo.GetGrain<ICounterGrain>(key);
        await grain.Increment();
        await grain.Increment();
        Assert.Null(await storage.ReadAsync("counter", key, "counter", CancellationToken.None));
        var collected = await silo.CollectIdleAsync(TimeSpan.Zero);
        Assert.True(collected >= 1);
        Assert.Equal(1, ActivationLog.DeactivationsOf(key));
        var stored = await storage.ReadAsync("counter", key, "counter", CancellationToken.None);
        Assert.Equal(2, StoredValue(stored));
        Assert.Equal(2, await grain.Get());
    }

    [Fact]
    public async Task Write_behind_checkpoints_many_grains_together()
    {
        var storage = provider.Create();
        await using var silo = await TestSilo.StartAsync(storage, o => o.FlushInterval = TimeSpan.FromHours(1));
        var keys = Enumerable.Range(0, 200).Select(i => Key("wb" + i)).ToArray();
        await Task.WhenAll(keys.Select(k => silo.GetGrain<ICounterGrain>(k).Increment()));
        Assert.Null(await storage.ReadAsync("counter", keys[0], "counter", CancellationToken.None));
        await silo.CheckpointAllAsync();
        foreach (var k in keys)
        {
            Assert.Equal(1, (await storage.ReadAsync("counter", k, "counter", CancellationToken.None))!.Version);
        }

        // The in-memory ETag follows the checkpoint, so a later explicit write does not conflict.
        var grain = silo.GetGrain<ICounterGrain>(keys[0]);
        Assert.Equal("1", await grain.Etag());
        await grain.Increment();
        await grain.Save();
        Assert.Equal("2", await grain.Etag());
    }

    [Fact]
    public async Task A_stale_etag_raises_and_the_grain_can_reread()
    {
        var storage = provider.Create();
        await using var silo = await TestSilo.StartAsync(storage);
        var key = Key("etag");
        var grain = silo.GetGrain<ICounterGrain>(key);
        await grain.Increment();
        await grain.Save();

        // Another writer (holding the current epoch) moves the record on behind the grain's back.
        var partition = silo.PartitionOf(key);
        var epoch = (await storage.ListPartitionsAsync(CancellationToken.None)).Single(p => p.Partition == partition).Epoch;
        await storage.WriteCheckpointAsync(new Checkpoint(new PartitionFence(partition, epoch),
            [StateWrite.FromJson("counter", key, "counter", """{"Value":40,"Log":[]}""", 1)], [], null), CancellationToken.None);

        await grain.Increment();
        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.Save());
        await grain.Reload();
        Assert.Equal(40, await grain.Get());
        await grain.Increment();
        await grain.Save();
        Assert.Equal(41, StoredValue(await storage.ReadAsync("counter", key, "counter", CancellationToken.None)));
    }

    [Fact]
    public async Task Reminders_fire_after_a_silo_restart()
    {
        var storage = provider.Create();
        var key = Key("remind");
        var first = await TestSilo.StartAsync(storage, o => o.ReminderPollInterval = TimeSpan.Zero);
        await first.GetGrain<ICounterGrain>(key).ScheduleReminder("wake", 1500);
        await first.CheckpointAllAsync();

        // Crash: the first silo never stops gracefully. A new silo takes the partitions over.
        var second = await TestSilo.StartAsync(provider.Create());
        var signal = ActivationLog.ReminderSignal(key + ":wake").Task;
        var started = DateTime.UtcNow;
        Assert.Equal("wake", await signal.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(4));
        await second.CheckpointAllAsync();
        Assert.Contains("wake", (await storage.ReadAsync("counter", key, "counter", CancellationToken.None))!.Json);
        await second.DisposeAsync();
    }

    [Fact]
    public async Task A_stale_epoch_checkpoint_is_rejected_and_state_does_not_go_backwards()
    {
        var storage = provider.Create();
        var key = Key("zombie");
        var zombie = await TestSilo.StartAsync(storage, o => o.FlushInterval = TimeSpan.FromHours(1), siloId: "zombie");
        await zombie.GetGrain<ICounterGrain>(key).Increment();
        await zombie.CheckpointAllAsync();

        var successor = await TestSilo.StartAsync(provider.Create(), siloId: "successor");
        var grain = successor.GetGrain<ICounterGrain>(key);
        await grain.Increment();
        await grain.Increment();
        await grain.Save();

        // The zombie wakes up with newer-looking in-memory changes and tries to flush them.
        for (var i = 0; i < 5; i++)
        {
            await zombie.GetGrain<ICounterGrain>(key).Increment();
        }

        await Assert.ThrowsAsync<StalePartitionEpochException>(() => zombie.CheckpointAllAsync());
        var partition = zombie.PartitionOf(key);
        Assert.False(zombie.Owns(partition));
        Assert.Throws<PartitionNotOwnedException>(() => zombie.GetGrain<ICounterGrain>(key).Get().GetAwaiter().GetResult());
        Assert.Equal(3, StoredValue(await storage.ReadAsync("counter", key, "counter", CancellationToken.None)));
        await successor.DisposeAsync();
    }

    [Fact]
    public async Task A_reminder_moved_many_times_between_checkpoints_is_stored_once_with_its_last_due_time()
    {
        var storage = provider.Create();
        await using var silo = await TestSilo.StartAsync(storage, o => { o.FlushInterval = TimeSpan.FromHours(1); o.ReminderPollInterval = TimeSpan.Zero; });
        var key = Key("moved");
        var grain = silo.GetGrain<ICounterGrain>(key);
        for (var i = 1; i <= 5; i++)
        {
            await grain.ScheduleReminder("r", i * 60_000);
        }

        await silo.CheckpointAllAsync();
        var row = Assert.Single(await storage.LoadRemindersAsync(silo.PartitionOf(key), CancellationToken.None), r => r.GrainKey == key);
        Assert.InRange((row.DueAt - DateTimeOffset.UtcNow).TotalMinutes, 4.5, 5.1);
    }

    [Fact]
    public async Task Timers_tick_as_turns_and_die_with_the_activation()
    {
        await using var silo = await TestSilo.StartAsync(provider.Create());
        var key = Key("timer");
        var grain = silo.GetGrain<ICounterGrain>(key);
        await grain.StartTimer(50);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (ActivationLog.TicksOf(key) < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(ActivationLog.TicksOf(key) >= 3);
        await grain.Deactivate();
        var after = ActivationLog.TicksOf(key);
        await Task.Delay(300);
        Assert.Equal(after, ActivationLog.TicksOf(key));
    }

    [Fact]
    public async Task Bad_input_is_refused_with_the_grain_named()
    {
        var storage = provider.Create();
        await using var silo = await TestSilo.StartAsync(storage);
        var unknown = Assert.Throws<ArgumentException>(() => silo.GetGrain<IUnregisteredGrain>("k"));
        Assert.Contains(nameof(IUnregisteredGrain), unknown.Message);
        var empty = Assert.Throws<ArgumentException>(() => silo.GetGrain<ICounterGrain>(" "));
        Assert.Contains("counter", empty.Message);

        var key = Key("corrupt");
        var partition = silo.PartitionOf(key);
        var epoch = (await storage.ListPartitionsAsync(CancellationToken.None)).Single(p => p.Partition == partition).Epoch;
        await storage.WriteCheckpointAsync(new Checkpoint(new PartitionFence(partition, epoch),
            [StateWrite.FromJson("counter", key, "counter", """{"Value":"not a number"}""", null)], [], null), CancellationToken.None);
        var error = await Assert.ThrowsAsync<GrainStateException>(() => silo.GetGrain<ICounterGrain>(key).Increment());
        Assert.Contains($"counter/{key}", error.Message);
        await silo.CheckpointAllAsync();
        var stored = await storage.ReadAsync("counter", key, "counter", CancellationToken.None);
        Assert.Equal(1, stored!.Version);
        Assert.Contains("not a number", stored.Json);
    }
}

public sealed class SqliteRuntimeTests(SqliteProvider provider) : RuntimeBehaviourTests<SqliteProvider>(provider);

public sealed class PostgresRuntimeTests(PostgresProvider provider) : RuntimeBehaviourTests<PostgresProvider>(provider);

/// <summary>A storage decorator that counts calls per method (and forwards them).</summary>
public class CountingStorage : System.Reflection.DispatchProxy
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _calls = new();
    private IGrainStorage _inner = null!;

    public static IGrainStorage Wrap(IGrainStorage inner)
    {
        var proxy = Create<IGrainStorage, CountingStorage>();
        ((CountingStorage)(object)proxy)._inner = inner;
        return proxy;
    }

    public static int Calls(IGrainStorage storage, string method) => ((CountingStorage)(object)storage)._calls.GetValueOrDefault(method);

    protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
    {
        _calls.AddOrUpdate(targetMethod!.Name, 1, (_, n) => n + 1);
        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}

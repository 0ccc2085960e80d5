using CartRecovery.Runtime.Storage;

namespace CartRecovery.Runtime.Tests.Storage;

/// <summary>
/// The behaviour every storage provider must have. One subclass per provider, so SQLite and
/// PostgreSQL are held to exactly the same contract.
/// </summary>
public abstract class StorageContractTests<TProvider>(TProvider provider) : IClassFixture<TProvider>, IAsyncLifetime
    where TProvider : class, IStorageProvider
{
    private IGrainStorage _storage = null!;
    private readonly string _type = "t" + Guid.NewGuid().ToString("N")[..8];

    public async Task InitializeAsync()
    {
        _storage = provider.Create();
        await _storage.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _storage.DisposeAsync();

    private async Task<PartitionFence> Own(int partition, string owner = "silo-a")
    {
        var lease = await _storage.AcquirePartitionAsync(partition, owner, CancellationToken.None);
        return new PartitionFence(partition, lease.Epoch);
    }

    private StateWrite Write(string key, string json, long? expected) => StateWrite.FromJson(_type, key, "s", json, expected);

    private Task<long[]> Checkpoint(PartitionFence fence, params StateWrite[] writes) =>
        _storage.WriteCheckpointAsync(new Checkpoint(fence, writes, [], null), CancellationToken.None);

    [Fact]
    public async Task Migration_is_idempotent_and_records_its_version()
    {
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => provider.Create().MigrateAsync(CancellationToken.None)));
        await _storage.MigrateAsync(CancellationToken.None);
        Assert.Equal(Migrations.Latest, await _storage.SchemaVersionAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Reading_many_answers_each_key_in_order_with_null_for_missing_ones()
    {
        var fence = await Own(20);
        await Checkpoint(fence, Write("m1", """{"m":1}""", null), Write("m3", """{"m":3}""", null));
        await Checkpoint(fence, Write("m3", """{"m":33}""", 1));
        var keys = new[] { new StateKey(_type, "m3", "s"), new StateKey(_type, "m2", "s"), new StateKey(_type, "m1", "s"), new StateKey(_type, "m1", "other") };
        var read = await _storage.ReadManyAsync(keys, CancellationToken.None);
        Assert.Equal(4, read.Length);
        Assert.Equal((2L, """{"m":33}"""), (read[0]!.Version, read[0]!.Json.Replace(" ", "")));
        Assert.Null(read[1]);
        Assert.Equal(1, read[2]!.Version);
        Assert.Null(read[3]);
        Assert.Empty(await _storage.ReadManyAsync([], CancellationToken.None));
    }

    [Fact]
    public async Task Checkpoints_of_several_partitions_commit_together_with_their_own_offsets_and_reminders()
    {
        var a = await Own(21);
        var b = await Own(22);
        await Checkpoint(a, Write("ga", """{"v":1}""", null));
        var due = DateTimeOffset.UtcNow.AddMinutes(3);
        var versions = await _storage.WriteCheckpointsAsync(
        [
            new Checkpoint(a, [Write("ga", """{"v":2}""", 1), Write("ga2", """{"v":1}""", null)], [], 210),
            new Checkpoint(b, [Write("gb", """{"v":1}""", null)], [new ReminderChange(new ReminderRow(_type, "gb", "tick", due, null), false)], 220),
        ], CancellationToken.None);
        Assert.Equal([2L, 1L], versions[0]);
        Assert.Equal([1L], versions[1]);
        var rows = (await _storage.ListPartitionsAsync(CancellationToken.None)).ToDictionary(p => p.Partition);
        Assert.Equal(210, rows[21].Offset);
        Assert.Equal(220, rows[22].Offset);
        Assert.Equal("tick", Assert.Single(await _storage.LoadRemindersAsync(22, CancellationToken.None), r => r.GrainType == _type).Name);
        Assert.Equal(2, (await _storage.ReadAsync(_type, "ga", "s", CancellationToken.None))!.Version);
    }

    [Fact]
    public async Task A_stale_epoch_or_a_conflict_in_one_partition_of_a_joint_checkpoint_writes_nothing_at_all()
    {
        var a = await Own(23);
        var staleB = await Own(24);
        await Own(24, "silo-b");
        await Assert.ThrowsAsync<StalePartitionEpochException>(() => _storage.WriteCheckpointsAsync(
        [
            new Checkpoint(a, [Write("ja", """{"v":1}""", null)], [], 5),
            new Checkpoint(staleB, [Write("jb", """{"v":1}""", null)], [], 6),
        ], CancellationToken.None));
        Assert.Null(await _storage.ReadAsync(_type, "ja", "s", CancellationToken.None));
        Assert.Null((await _storage.ListPartitionsAsync(CancellationToken.None)).Single(p => p.Partition == 23).Offset);

        var b = await Own(24, "silo-a");
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteCheckpointsAsync(
        [
            new Checkpoint(a, [Write("ja", """{"v":1}""", null)], [], 5),
            new Checkpoint(b, [Write("jb", """{"v":1}""", 3)], [], 6),
        ], CancellationToken.None));
        Assert.Contains($"{_type}/jb", conflict.Message);
        Assert.Null(await _storage.ReadAsync(_type, "ja", "s", CancellationToken.None));
        Assert.Null((await _storage.ListPartitionsAsync(CancellationToken.None)).Single(p => p.Partition == 23).Offset);
    }

    [Fact]
    public async Task Missing_state_reads_as_null_and_written_state_round_trips_with_versions()
    {
        var fence = await Own(1);
        Assert.Null(await _storage.ReadAsync(_type, "k1", "s", CancellationToken.None));
        var v1 = await Checkpoint(fence, Write("k1", """{"a":1}""", null));
        Assert.Equal(1, v1[0]);
        var v2 = await Checkpoint(fence, Write("k1", """{"a":2}""", 1));
        Assert.Equal(2, v2[0]);
        var stored = await _storage.ReadAsync(_type, "k1", "s", CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(2, stored.Version);
        Assert.Contains("2", stored.Json);
    }

    [Fact]
    public async Task Two_writers_with_the_same_etag_exactly_one_wins()
    {
        var fence = await Own(2);
        await Checkpoint(fence, Write("race", """{"w":0}""", null));
        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(async i =>
        {
            try
            {
                await provider.Create().WriteCheckpointAsync(new Checkpoint(fence, [Write("race", $$"""{"w":{{i + 1}}}""", 1)], [], null), CancellationToken.None);
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));
        Assert.Equal(1, results.Count(r => r));
        Assert.Equal(2, (await _storage.ReadAsync(_type, "race", "s", CancellationToken.None))!.Version);
    }

    [Fact]
    public async Task A_conflict_in_a_checkpoint_writes_nothing_and_names_the_grain()
    {
        var fence = await Own(3);
        await Checkpoint(fence, Write("x", """{"v":1}""", null));
        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => Checkpoint(fence,
            Write("fresh", """{"v":1}""", null),
            Write("x", """{"v":9}""", 7)));
        Assert.Contains($"{_type}/x", error.Message);
        Assert.Null(await _storage.ReadAsync(_type, "fresh", "s", CancellationToken.None));
        Assert.Equal(1, (await _storage.ReadAsync(_type, "x", "s", CancellationToken.None))!.Version);
    }

    [Fact]
    public async Task Inserting_over_an_existing_record_is_a_conflict()
    {
        var fence = await Own(4);
        await Checkpoint(fence, Write("dup", """{"v":1}""", null));
        await Assert.ThrowsAsync<InconsistentStateException>(() => Checkpoint(fence, Write("dup", """{"v":2}""", null)));
    }

    [Fact]
    public async Task Acquiring_bumps_the_epoch_and_a_stale_epoch_writes_nothing()
    {
        var old = await Own(5, "silo-a");
        var current = await Own(5, "silo-b");
        Assert.True(current.Epoch > old.Epoch);
        var error = await Assert.ThrowsAsync<StalePartitionEpochException>(() => _storage.WriteCheckpointAsync(
            new Checkpoint(old, [Write("zombie", """{"z":1}""", null)], [new ReminderChange(new ReminderRow(_type, "zombie", "r", DateTimeOffset.UtcNow, null), false)], 99),
            CancellationToken.None));
        Assert.Equal(5, error.Partition);
        Assert.Null(await _storage.ReadAsync(_type, "zombie", "s", CancellationToken.None));
        Assert.DoesNotContain(await _storage.LoadRemindersAsync(5, CancellationToken.None), r => r.GrainType == _type);
        var row = (await _storage.ListPartitionsAsync(CancellationToken.None)).Single(p => p.Partition == 5);
        Assert.Equal("silo-b", row.Owner);
        Assert.Null(row.Offset);
    }

    [Fact]
    public async Task Reminders_and_offsets_are_stored_with_the_checkpoint()
    {
        var fence = await Own(6);
        var due = DateTimeOffset.UtcNow.AddMinutes(5);
        await _storage.WriteCheckpointAsync(new Checkpoint(fence, [Write("r1", "{}", null)],
            [new ReminderChange(new ReminderRow(_type, "r1", "idle", due, TimeSpan.FromMinutes(1)), false),
             new ReminderChange(new ReminderRow(_type, "r1", "gone", due, null), false)], 41), CancellationToken.None);
        await _storage.WriteCheckpointAsync(new Checkpoint(fence, [], [new ReminderChange(new ReminderRow(_type, "r1", "gone", due, null), true)], 42), CancellationToken.None);
        var reminders = (await _storage.LoadRemindersAsync(6, CancellationToken.None)).Where(r => r.GrainType == _type).ToList();
        var idle = Assert.Single(reminders);
        Assert.Equal("idle", idle.Name);
        Assert.Equal(TimeSpan.FromMinutes(1), idle.Period);
        Assert.True(Math.Abs((idle.DueAt - due).TotalMilliseconds) < 2);
        var lease = await _storage.AcquirePartitionAsync(6, "silo-c", CancellationToken.None);
        Assert.Equal(42, lease.Offset);
    }

    [Fact]
    public async Task Deletes_check_the_version()
    {
        var fence = await Own(7);
        await Checkpoint(fence, Write("d", "{}", null));
        await Assert.ThrowsAsync<InconsistentStateException>(() => Checkpoint(fence, new StateWrite(_type, "d", "s", null, 5)));
        await Checkpoint(fence, new StateWrite(_type, "d", "s", null, 1));
        Assert.Null(await _storage.ReadAsync(_type, "d", "s", CancellationToken.None));
    }

    [Fact]
    public async Task A_thousand_states_in_one_checkpoint_and_scan_and_key_lookup()
    {
        var fence = await Own(8);
        var writes = Enumerable.Range(0, 1000).Select(i => Write($"shopper{i}/cart{i}", $$"""{"i":{{i}}}""", null)).ToArray();
        var versions = await Checkpoint(fence, writes);
        Assert.All(versions, v => Assert.Equal(1, v));
        var scanned = new List<string>();
        await foreach (var (key, _) in _storage.ScanAsync(_type, "s", CancellationToken.None))
        {
            scanned.Add(key);
        }

        Assert.Equal(1000, scanned.Count);
        Assert.Equal(["shopper17/cart17"], await _storage.FindKeysAsync(_type, "cart17", CancellationToken.None));
        Assert.Empty(await _storage.FindKeysAsync(_type, "art17", CancellationToken.None));
    }

    [Fact]
    public async Task Silo_rows_round_trip()
    {
        var now = DateTimeOffset.UtcNow;
        var id = "silo-" + _type;
        await _storage.UpsertSiloAsync(new SiloRow(id, "http://10.0.0.1:8081", now, now, [1, 2, 3]), CancellationToken.None);
        await _storage.UpsertSiloAsync(new SiloRow(id, "http://10.0.0.1:8081", now, now.AddSeconds(5), [4]), CancellationToken.None);
        var row = (await _storage.ListSilosAsync(CancellationToken.None)).Single(s => s.SiloId == id);
        Assert.Equal([4], row.Partitions);
        await _storage.RemoveSiloAsync(id, CancellationToken.None);
        Assert.DoesNotContain(await _storage.ListSilosAsync(CancellationToken.None), s => s.SiloId == id);
    }
}

public sealed class SqliteStorageContractTests(SqliteProvider provider) : StorageContractTests<SqliteProvider>(provider);

public sealed class PostgresStorageContractTests(PostgresProvider provider) : StorageContractTests<PostgresProvider>(provider);

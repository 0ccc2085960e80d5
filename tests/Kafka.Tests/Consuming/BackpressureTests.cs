using CartRecovery.Kafka.Consuming;
using CartRecovery.Kafka.Producing;
using CartRecovery.Kafka.Tests.Support;

namespace CartRecovery.Kafka.Tests.Consuming;

public sealed class BackpressureTests : IDisposable
{
    private readonly TestKafka _kafka = new();

    [Fact]
    public async Task A_slow_owner_pauses_its_partition_and_resuming_loses_and_repeats_nothing()
    {
        var options = _kafka.CreateTopics(partitions: 2);
        options.MaxBatchSize = 10;
        options.MaxInFlightPerPartition = 100;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var owner = new RecordingOwner("slow") { BeforeRecord = (partition, _) => partition == 0 ? gate.Task : Task.CompletedTask };
        await using var consumer = new PartitionedConsumer(options, owner);
        owner.Consumer = consumer;
        using var producer = new KafkaEventProducer(options, key => key == "slow" ? 0 : 1);
        await producer.ProduceBatchAsync([.. Enumerable.Range(0, 800).Select(i => (i % 4 == 0 ? "fast" : "slow", BitConverter.GetBytes(i)))]);

        consumer.Start();
        await owner.Changed.WaitUntilAsync(() => owner.ReceivedCount == 200, "the unblocked partition to be fully handled");
        await Poll.UntilAsync(() => consumer.IsPaused(0), "partition 0 to pause");

        // Fetching stopped: the buffer stays at the bound instead of growing towards the 600 records available.
        var buffered = consumer.InFlight(0);
        Assert.InRange(buffered, options.MaxInFlightPerPartition, options.MaxInFlightPerPartition + options.MaxBatchSize);
        await Task.Delay(500);
        Assert.Equal(buffered, consumer.InFlight(0));
        Assert.False(consumer.IsPaused(1));

        gate.SetResult();
        await owner.Changed.WaitUntilAsync(() => owner.ReceivedCount >= 800, "the paused partition to drain");

        Assert.Equal(Enumerable.Range(0, 600).Select(i => (long)i), owner.Received.Where(m => m.Partition == 0).Select(m => m.Offset));
        Assert.Equal(800, owner.ReceivedCount);
        await Poll.UntilAsync(() => !consumer.IsPaused(0) && consumer.InFlight(0) == 0, "partition 0 to resume");
        Assert.Empty(owner.Violations);
    }

    public void Dispose() => _kafka.Dispose();
}

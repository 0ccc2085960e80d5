using System.Collections.Concurrent;
using System.Text;
using CartRecovery.Kafka.Consuming;
using CartRecovery.Kafka.Nudges;
using CartRecovery.Kafka.Tests.Support;

namespace CartRecovery.Kafka.Tests.Nudges;

public sealed class NudgeTests : IDisposable
{
    private readonly TestKafka _kafka = new();

    [Fact]
    public async Task Every_gateway_gets_every_nudge_published_after_it_started()
    {
        var options = _kafka.CreateTopics(partitions: 2, nudgePartitions: 4);
        using var publisher = new NudgePublisher(options);
        await publisher.PublishAsync("shopper-0", Encoding.UTF8.GetBytes("before"));

        var signal = new Signal();
        var seen = new[] { new ConcurrentQueue<ConsumedMessage>(), new ConcurrentQueue<ConsumedMessage>() };
        await using var gateway1 = new NudgeSubscriber(options, m => Record(seen[0], m));
        await using var gateway2 = new NudgeSubscriber(options, m => Record(seen[1], m));
        await Task.WhenAll(gateway1.StartAsync(), gateway2.StartAsync());
        Assert.Equal([0, 1, 2, 3], gateway1.Partitions);

        var nudges = Enumerable.Range(0, 40).Select(i => ($"shopper-{i % 7}", Encoding.UTF8.GetBytes($"nudge-{i}"))).ToList();
        await publisher.PublishBatchAsync(nudges);
        await signal.WaitUntilAsync(() => seen.All(q => q.Count >= nudges.Count), "both gateways to receive every nudge");

        foreach (var queue in seen)
        {
            var values = queue.Select(m => Encoding.UTF8.GetString(m.Value)).ToList();
            Assert.Equal(nudges.Select(n => Encoding.UTF8.GetString(n.Item2)).Order(), values.Order());
            Assert.True(queue.Select(m => m.Partition).Distinct().Count() > 1, "nudges should spread over partitions");

            // Per shopper, nudges keep their publish order.
            foreach (var shopper in queue.GroupBy(m => m.Key))
            {
                var expected = nudges.Where(n => n.Item1 == shopper.Key).Select(n => Encoding.UTF8.GetString(n.Item2));
                Assert.Equal(expected, shopper.Select(m => Encoding.UTF8.GetString(m.Value)));
            }
        }

        Task Record(ConcurrentQueue<ConsumedMessage> queue, ConsumedMessage message)
        {
            queue.Enqueue(message);
            signal.Pulse();
            return Task.CompletedTask;
        }
    }

    public void Dispose() => _kafka.Dispose();
}

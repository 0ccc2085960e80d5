using System.Text.Json;
using CartRecovery.Gateway.Hubs;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Nudges;
using CartRecovery.Kafka.Configuration;
using CartRecovery.Kafka.Nudges;

namespace CartRecovery.Silo.Cluster;

/// <summary>Silo side: on-site nudges go to the nudges topic, which every gateway reads.</summary>
internal sealed class KafkaNudgePublisher(NudgePublisher publisher) : IOnSiteNudgePublisher
{
    public Task PublishAsync(NudgeMessage nudge, CancellationToken cancellationToken) =>
        publisher.PublishAsync(nudge.ShopperId, JsonSerializer.SerializeToUtf8Bytes(nudge, GrainsJsonContext.Default.NudgeMessage), cancellationToken);
}

/// <summary>Gateway side: every nudge on the topic is delivered to this gateway's SignalR group of its shopper (if connected here).</summary>
internal sealed class NudgeRelay(KafkaOptions options, SignalROnSitePublisher local, ILoggerFactory logs) : IHostedService, IAsyncDisposable
{
    private NudgeSubscriber? _subscriber;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _subscriber = new NudgeSubscriber(options, async message =>
        {
            if (JsonSerializer.Deserialize(message.Value, GrainsJsonContext.Default.NudgeMessage) is { } nudge)
            {
                await local.PublishAsync(nudge, CancellationToken.None);
            }
        }, logs.CreateLogger<NudgeSubscriber>());
        await _subscriber.StartAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_subscriber is not null)
        {
            await _subscriber.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_subscriber is not null)
        {
            await _subscriber.DisposeAsync();
        }
    }
}

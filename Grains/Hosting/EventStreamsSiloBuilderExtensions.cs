using Azure.Data.Tables;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Json;
using CartRecovery.Streaming.Kafka.Codecs;
using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Streams;

namespace CartRecovery.Grains.Hosting;

public static class EventStreamsSiloBuilderExtensions
{
    /// <summary>
    /// Where storefront events travel, by <c>Events:Provider</c>: <c>InProcess</c> (default: applied in process, no
    /// stream), <c>Kafka</c> (our provider, section <c>Kafka</c>; also Event Hubs' Kafka endpoint) or <c>EventHubs</c>
    /// (Orleans' provider, section <c>EventHubs</c>). Either stream provider feeds the shopper grain's implicit
    /// subscription and makes <see cref="StreamEventBus"/> the event bus.
    /// </summary>
    public static ISiloBuilder AddCartRecoveryEventStreams(this ISiloBuilder silo, IConfiguration configuration)
    {
        var provider = configuration["Events:Provider"] ?? "InProcess";
        switch (provider)
        {
            case "InProcess":
                return silo;
            case "Kafka":
                silo.AddKafkaStreams(StreamEventBus.ProviderName, configuration.GetSection(KafkaStreamOptions.SectionName), StorefrontEventCodec);
                break;
            case "EventHubs":
                var hub = configuration.GetSection("EventHubs");
                silo.AddEventHubStreams(StreamEventBus.ProviderName, b =>
                {
                    b.ConfigureEventHub(o => o.Configure(eh => eh.ConfigureEventHubConnection(
                        Required(hub, "ConnectionString"), Required(hub, "EventHubName"), hub["ConsumerGroup"] ?? "$Default")));
                    b.UseAzureTableCheckpointer(o => o.Configure(c =>
                    {
                        c.TableServiceClient = new TableServiceClient(Required(hub, "CheckpointConnectionString"));
                        c.PersistInterval = TimeSpan.FromSeconds(1);
                    }));
                    b.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
                    b.ConfigurePullingAgent(o => o.Configure(a => a.BatchContainerBatchSize = 100));
                });
                break;
            default:
                throw new InvalidOperationException($"Events:Provider must be InProcess, Kafka or EventHubs (got '{provider}')");
        }

        silo.Services.AddSingleton<IEventBus, StreamEventBus>();
        return silo;
    }

    /// <summary>Storefront event JSON (docs/events.md), validated like HTTP ingestion; the record key must be the shopper.</summary>
    public static IKafkaRecordCodec StorefrontEventCodec(IServiceProvider services)
    {
        var validator = services.GetRequiredService<EventValidator>();
        return new JsonRecordCodec<StorefrontEvent>(
            GrainsJsonContext.Default.StorefrontEvent,
            validate: e => validator.Validate(e) is { } error ? $"{error.Field} {error.Reason}" : null,
            keyOf: e => e.ShopperId);
    }

    private static string Required(IConfigurationSection section, string key) =>
        section[key] is { Length: > 0 } value ? value : throw new InvalidOperationException($"{section.Path}:{key} is required");
}

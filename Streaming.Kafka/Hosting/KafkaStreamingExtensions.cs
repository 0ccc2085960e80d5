using CartRecovery.Streaming.Kafka.Codecs;
using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Diagnostics;
using CartRecovery.Streaming.Kafka.Providers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Streams;

namespace CartRecovery.Streaming.Kafka.Hosting;

/// <summary>Registers the Kafka persistent stream provider on silos and Orleans clients.</summary>
public static class KafkaStreamingExtensions
{
    /// <summary>
    /// A persistent stream provider named <paramref name="name"/> over the topic the <c>Kafka</c> section names:
    /// partition i is queue i, spread over the silos by Orleans' queue balancer (consistent ring unless
    /// <paramref name="configure"/> picks another); a record keyed K is an event of stream
    /// (<see cref="KafkaStreamOptions.StreamNamespace"/>, K), delivered to its implicit subscribers. Offsets are
    /// committed only below records delivered to every consumer or dead-lettered. Validates the section at start.
    /// Reports <see cref="KafkaStreamMetrics.ConsumerLag"/> per partition the silo reads and
    /// <see cref="KafkaStreamMetrics.RecordsDeadLettered"/> (meter <see cref="KafkaStreamMetrics.MeterName"/>, added to the
    /// app's OpenTelemetry meter provider if it has one).
    /// </summary>
    /// <param name="codec">The payload format (e.g. <see cref="JsonRecordCodec{T}"/>), resolved once per silo.</param>
    public static ISiloBuilder AddKafkaStreams(
        this ISiloBuilder builder,
        string name,
        IConfiguration section,
        Func<IServiceProvider, IKafkaRecordCodec> codec,
        Action<ISiloPersistentStreamConfigurator>? configure = null) =>
        builder.AddKafkaStreams(name, o => o.Bind(section), codec, configure);

    /// <inheritdoc cref="AddKafkaStreams(ISiloBuilder, string, IConfiguration, Func{IServiceProvider, IKafkaRecordCodec}, Action{ISiloPersistentStreamConfigurator}?)"/>
    public static ISiloBuilder AddKafkaStreams(
        this ISiloBuilder builder,
        string name,
        Action<OptionsBuilder<KafkaStreamOptions>> configureOptions,
        Func<IServiceProvider, IKafkaRecordCodec> codec,
        Action<ISiloPersistentStreamConfigurator>? configure = null)
    {
        AddServices(builder.Services, name, configureOptions, codec);
        return builder.AddPersistentStreams(name, KafkaQueueAdapterFactory.Get, streams =>
        {
            streams.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
            streams.ConfigurePullingAgent(agent => agent.Configure<IOptionsMonitor<KafkaStreamOptions>>((o, kafka) =>
            {
                var options = kafka.Get(name);
                // The queue cache groups up to MaxDeliveryBatch records of a stream into one container (a batch
                // observer sees them at once); the agent delivers one container per call.
                o.BatchContainerBatchSize = 1;
                o.MaxEventDeliveryTime = options.MaxDeliveryTime;
            }));
            configure?.Invoke(streams);
        });
    }

    /// <summary>
    /// The same provider on an Orleans client (e.g. a gateway that is not a silo): it writes events
    /// (<c>IAsyncStream.OnNextBatchAsync</c> completes once the brokers acknowledged them) and reads nothing.
    /// </summary>
    public static IClientBuilder AddKafkaStreams(
        this IClientBuilder builder,
        string name,
        IConfiguration section,
        Func<IServiceProvider, IKafkaRecordCodec> codec) =>
        builder.AddKafkaStreams(name, o => o.Bind(section), codec);

    /// <inheritdoc cref="AddKafkaStreams(IClientBuilder, string, IConfiguration, Func{IServiceProvider, IKafkaRecordCodec})"/>
    public static IClientBuilder AddKafkaStreams(
        this IClientBuilder builder,
        string name,
        Action<OptionsBuilder<KafkaStreamOptions>> configureOptions,
        Func<IServiceProvider, IKafkaRecordCodec> codec)
    {
        AddServices(builder.Services, name, configureOptions, codec);
        return builder.AddPersistentStreams(name, KafkaQueueAdapterFactory.Get, streams => streams.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));
    }

    private static void AddServices(
        IServiceCollection services,
        string name,
        Action<OptionsBuilder<KafkaStreamOptions>> configureOptions,
        Func<IServiceProvider, IKafkaRecordCodec> codec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(codec);
        var options = services.AddOptions<KafkaStreamOptions>(name);
        configureOptions(options);
        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<KafkaStreamOptions>, KafkaStreamOptionsValidator>();
        services.AddKeyedSingleton<IKafkaRecordCodec>(name, (sp, _) => codec(sp));
        services.AddKeyedSingleton(name, (sp, _) => new KafkaQueueAdapterFactory(name, sp));

        // Lag and dead letters: one meter per container, through its meter factory; an app that exports metrics with
        // OpenTelemetry (the gateway's /metrics) listens to it by name. Harmless where no meter provider is built.
        services.TryAddSingleton(sp => new KafkaStreamInstruments(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(KafkaStreamMetrics.MeterName));
    }
}

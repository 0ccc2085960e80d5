using System.Text.Json;
using System.Text.Json.Serialization;
using CartRecovery.Streaming.Kafka.Codecs;

namespace CartRecovery.Streaming.Kafka.Tests.Support;

/// <summary>The test payload: like a storefront event, it names its own key (the shopper) and has an id.</summary>
[GenerateSerializer, Alias("cr.test.TestEvent")]
public sealed class TestEvent
{
    [Id(0)] [JsonPropertyName("id")] public string Id { get; set; } = "";

    [Id(1)] [JsonPropertyName("key")] public string Key { get; set; } = "";

    /// <summary>Which test run the event belongs to (test classes share one process).</summary>
    [Id(2)] [JsonPropertyName("run")] public string Run { get; set; } = "";
}

[JsonSerializable(typeof(TestEvent))]
public sealed partial class TestJsonContext : JsonSerializerContext;

public static class TestEvents
{
    public const string Namespace = "test-events";

    public const string Provider = "kafka";

    public static IKafkaRecordCodec Codec() => new JsonRecordCodec<TestEvent>(
        TestJsonContext.Default.TestEvent,
        validate: e => string.IsNullOrEmpty(e.Id) ? "id is required" : null,
        keyOf: e => e.Key);

    public static byte[] Json(TestEvent e) => JsonSerializer.SerializeToUtf8Bytes(e, TestJsonContext.Default.TestEvent);
}

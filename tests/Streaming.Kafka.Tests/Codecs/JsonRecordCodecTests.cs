using System.Text;
using CartRecovery.Streaming.Kafka.Codecs;
using CartRecovery.Streaming.Kafka.Tests.Support;
using Orleans.Runtime;

namespace CartRecovery.Streaming.Kafka.Tests.Codecs;

public sealed class JsonRecordCodecTests
{
    private readonly IKafkaRecordCodec _codec = TestEvents.Codec();

    [Fact]
    public void A_valid_document_with_its_own_key_decodes_to_one_event()
    {
        var result = _codec.Decode(Record("{\"id\":\"e1\",\"key\":\"k\",\"run\":\"r\"}"), "k");

        var e = Assert.IsType<TestEvent>(Assert.Single(result.Events!));
        Assert.Equal(("e1", "k"), (e.Id, e.Key));
        Assert.False(result.IsPoison);
    }

    [Theory]
    [InlineData("{\"id\":", "not a valid TestEvent JSON document")]
    [InlineData("null", "empty value")]
    [InlineData("{\"id\":\"\",\"key\":\"k\"}", "invalid: id is required")]
    [InlineData("{\"id\":\"e1\",\"key\":\"other\"}", "record key 'k' differs from the event's own key 'other'")]
    [InlineData("{\"id\":5,\"key\":\"k\"}", "not a valid TestEvent JSON document at id")]
    public void A_bad_record_is_poison_with_a_reason(string json, string reason)
    {
        var result = _codec.Decode(Record(json), "k");

        Assert.True(result.IsPoison);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Events_are_encoded_one_record_each_and_only_for_their_own_stream()
    {
        var stream = StreamId.Create(TestEvents.Namespace, "k");
        var values = _codec.Encode(stream, [new TestEvent { Id = "a", Key = "k" }, new TestEvent { Id = "b", Key = "k" }]);

        Assert.Equal(2, values.Count);
        Assert.Contains("\"id\":\"b\"", Encoding.UTF8.GetString(values[1]), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => _codec.Encode(stream, [new TestEvent { Id = "c", Key = "other" }]));
        Assert.Throws<ArgumentException>(() => _codec.Encode(stream, ["not an event"]));
    }

    private static KafkaRecord Record(string json) => new("t", 0, 0, Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes(json), [], DateTimeOffset.UnixEpoch);
}

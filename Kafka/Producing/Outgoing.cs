using Confluent.Kafka;

namespace CartRecovery.Kafka.Producing;

/// <summary>One record bound for an explicit partition (or <see cref="Partition.Any"/> to let librdkafka pick).</summary>
internal readonly record struct Outgoing(TopicPartition Target, Message<string?, byte[]> Message);

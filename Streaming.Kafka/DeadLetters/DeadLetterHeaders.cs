namespace CartRecovery.Streaming.Kafka.DeadLetters;

/// <summary>Headers a dead-lettered record carries in addition to the original ones (values are UTF-8 text).</summary>
public static class DeadLetterHeaders
{
    public const string Reason = "x-error-reason";
    public const string SourceTopic = "x-source-topic";
    public const string SourcePartition = "x-source-partition";
    public const string SourceOffset = "x-source-offset";
}

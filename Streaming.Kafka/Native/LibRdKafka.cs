using System.Runtime.InteropServices;

namespace CartRecovery.Streaming.Kafka.Native;

/// <summary>
/// The slice of librdkafka's C API that Confluent.Kafka does not expose: enough to host a mock cluster
/// on a client handle of our own.
/// </summary>
internal static unsafe partial class LibRdKafka
{
    public const int ProducerType = 0;

    [LibraryImport(KafkaNative.ImportName, EntryPoint = "rd_kafka_conf_new")]
    public static partial nint ConfNew();

    [LibraryImport(KafkaNative.ImportName, EntryPoint = "rd_kafka_conf_destroy")]
    public static partial void ConfDestroy(nint conf);

    [LibraryImport(KafkaNative.ImportName, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ConfSet(nint conf, string name, string value, byte* errstr, nuint errstrSize);

    /// <remarks>Takes ownership of <paramref name="conf"/> only on success.</remarks>
    [LibraryImport(KafkaNative.ImportName, EntryPoint = "rd_kafka_new")]
    public static partial nint New(int type, nint conf, byte* errstr, nuint errstrSize);

    [LibraryImport(KafkaNative.ImportName, EntryPoint = "rd_kafka_destroy")]
    public static partial void Destroy(nint rk);

    [LibraryImport(KafkaNative.ImportName, EntryPoint = "rd_kafka_err2str")]
    public static partial nint ErrorToString(int err);

    [LibraryImport(KafkaNative.ImportName, EntryPoint = "rd_kafka_mock_cluster_new")]
    public static partial nint MockClusterNew(nint rk, int brokerCount);

    [LibraryImport(KafkaNative.ImportName, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    public static partial void MockClusterDestroy(nint mcluster);

    [LibraryImport(KafkaNative.ImportName, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    public static partial nint MockClusterBootstraps(nint mcluster);

    [LibraryImport(KafkaNative.ImportName, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MockTopicCreate(nint mcluster, string topic, int partitionCount, int replicationFactor);

    public static string Describe(int err) => Marshal.PtrToStringUTF8(ErrorToString(err)) ?? $"error {err}";

    public static string ReadError(byte* errstr) => Marshal.PtrToStringUTF8((nint)errstr) ?? "";
}

using System.Collections;
using System.Diagnostics;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using CartRecovery.Grains.Json;
using CartRecovery.Kafka.Native;

namespace CartRecovery.Bench.Support;

/// <summary>
/// The physical limit: a plain Confluent.Kafka consumer on one thread that assigns every partition
/// from the beginning (no group join, no commits) and reads until it has seen every record up to the
/// end offsets. Keys and values are copied out as byte[] (what any consumer that keeps the record
/// has to do); with <c>parseJson</c> each value is also deserialized into a StorefrontEvent.
/// Timed from Assign to the last record.
/// <para>
/// The bench project gets Confluent.Kafka.dll only as a copied dependency of the Kafka project (it is
/// a hint-path reference there, not a package, so it is not on the bench's compile path). The client is
/// therefore bound once through reflection and the per-record path (Consume + Message.Value) is a
/// compiled expression, i.e. an ordinary interface call with no reflection per record.
/// </para>
/// </summary>
internal static class KafkaPlainConsumer
{
    public sealed record Result(long Records, long Bytes, double Seconds)
    {
        public double Rate => Records / Seconds;
    }

    private static readonly Lazy<Binding> Bound = new(Bind);

    public static Result Read(string bootstrapServers, string topic, IReadOnlyDictionary<int, long> endOffsets, bool parseJson, CancellationToken cancellationToken)
    {
        KafkaNative.EnsureLoaded();
        var b = Bound.Value;
        var config = new Dictionary<string, string>
        {
            ["bootstrap.servers"] = bootstrapServers,
            ["group.id"] = "bench-plain-" + Guid.NewGuid().ToString("N"),
            ["client.id"] = "bench-plain",
            ["enable.auto.commit"] = "false",
            ["enable.auto.offset.store"] = "false",
            ["enable.partition.eof"] = "false",
            ["auto.offset.reset"] = "earliest",
        };
        var consumer = b.Create(config);
        try
        {
            var total = endOffsets.Values.Sum();
            long records = 0;
            long bytes = 0;
            long parsed = 0;
            var timeout = TimeSpan.FromMilliseconds(100);
            var started = Stopwatch.GetTimestamp();
            var lastProgress = started;
            b.Assign(consumer, topic, endOffsets.Where(kv => kv.Value > 0).Select(kv => kv.Key));
            var consume = b.ConsumeValue;
            while (records < total)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var value = consume(consumer, timeout);
                if (value is null)
                {
                    if (Stopwatch.GetElapsedTime(lastProgress) > TimeSpan.FromSeconds(30))
                    {
                        throw new TimeoutException($"plain consumer stuck at {records}/{total} records; positions " + b.Positions(consumer));
                    }

                    continue;
                }

                lastProgress = Stopwatch.GetTimestamp();
                records++;
                bytes += value.Length;
                if (parseJson && JsonSerializer.Deserialize(value, GrainsJsonContext.Default.StorefrontEvent) is not null)
                {
                    parsed++;
                }
            }

            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            b.Close(consumer);
            if (parseJson && parsed != records)
            {
                throw new InvalidOperationException($"only {parsed} of {records} records parsed as events");
            }

            return new Result(records, bytes, seconds);
        }
        finally
        {
            ((IDisposable)consumer).Dispose();
        }
    }

    /// <summary>
    /// The first offset still held by each partition. librdkafka's mock broker keeps a bounded log per
    /// partition (about 5 MB) and silently drops the oldest records beyond it, so a fill must check this.
    /// </summary>
    public static IReadOnlyDictionary<int, long> LowWatermarks(string bootstrapServers, string topic, IEnumerable<int> partitions)
    {
        KafkaNative.EnsureLoaded();
        var b = Bound.Value;
        var consumer = b.Create(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = bootstrapServers,
            ["group.id"] = "bench-watermarks-" + Guid.NewGuid().ToString("N"),
            ["enable.auto.commit"] = "false",
        });
        try
        {
            return partitions.ToDictionary(p => p, p => b.Low(consumer, topic, p));
        }
        finally
        {
            ((IDisposable)consumer).Dispose();
        }
    }

    private sealed record Binding(
        Func<IEnumerable<KeyValuePair<string, string>>, object> Create,
        Action<object, string, IEnumerable<int>> Assign,
        Func<object, TimeSpan, byte[]?> ConsumeValue,
        Action<object> Close,
        Func<object, string> Positions,
        Func<object, string, int, long> Low);

    private static Binding Bind()
    {
        var asm = Assembly.Load(new AssemblyName("Confluent.Kafka"));
        Type T(string name) => asm.GetType("Confluent.Kafka." + name, throwOnError: true)!;
        var builderType = T("ConsumerBuilder`2").MakeGenericType(typeof(byte[]), typeof(byte[]));
        var consumerType = T("IConsumer`2").MakeGenericType(typeof(byte[]), typeof(byte[]));
        var resultType = T("ConsumeResult`2").MakeGenericType(typeof(byte[]), typeof(byte[]));
        var tpoType = T("TopicPartitionOffset");
        var partitionType = T("Partition");
        var offsetType = T("Offset");
        var build = builderType.GetMethod("Build")!;

        object Create(IEnumerable<KeyValuePair<string, string>> config)
        {
            var builder = Activator.CreateInstance(builderType, config)!;
            return build.Invoke(builder, null)!;
        }

        var tpoCtor = tpoType.GetConstructor([typeof(string), partitionType, offsetType])!;
        var listType = typeof(List<>).MakeGenericType(tpoType);
        var enumerableTpo = typeof(IEnumerable<>).MakeGenericType(tpoType);
        var assign = consumerType.GetInterfaces().Append(consumerType)
            .SelectMany(i => i.GetMethods())
            .Single(m => m.Name == "Assign" && m.GetParameters() is [{ } p] && p.ParameterType == enumerableTpo);
        var beginning = offsetType.GetField("Beginning", BindingFlags.Public | BindingFlags.Static)!.GetValue(null);

        void Assign(object consumer, string topic, IEnumerable<int> partitions)
        {
            var list = (IList)Activator.CreateInstance(listType)!;
            foreach (var p in partitions)
            {
                list.Add(tpoCtor.Invoke([topic, Activator.CreateInstance(partitionType, p), beginning]));
            }

            assign.Invoke(consumer, [list]);
        }

        // (object c, TimeSpan t) => { var r = ((IConsumer<byte[], byte[]>)c).Consume(t); return r == null ? null : r.Message.Value; }
        var consume = consumerType.GetInterfaces().Append(consumerType)
            .SelectMany(i => i.GetMethods())
            .Single(m => m.Name == "Consume" && m.GetParameters() is [{ } p] && p.ParameterType == typeof(TimeSpan));
        var c = Expression.Parameter(typeof(object), "c");
        var t = Expression.Parameter(typeof(TimeSpan), "t");
        var r = Expression.Variable(resultType, "r");
        var body = Expression.Block(
            [r],
            Expression.Assign(r, Expression.Call(Expression.Convert(c, consumerType), consume, t)),
            Expression.Condition(
                Expression.Equal(r, Expression.Constant(null, resultType)),
                Expression.Constant(null, typeof(byte[])),
                Expression.Property(Expression.Property(r, "Message"), "Value")));
        var consumeValue = Expression.Lambda<Func<object, TimeSpan, byte[]?>>(body, c, t).Compile();

        var close = consumerType.GetInterfaces().Append(consumerType).SelectMany(i => i.GetMethods()).First(m => m.Name == "Close" && m.GetParameters().Length == 0);
        var assignment = consumerType.GetInterfaces().Append(consumerType).SelectMany(i => i.GetProperties()).First(p => p.Name == "Assignment");
        var position = consumerType.GetInterfaces().Append(consumerType).SelectMany(i => i.GetMethods()).First(m => m.Name == "Position");
        string Positions(object consumer) =>
            string.Join(' ', ((IEnumerable)assignment.GetValue(consumer)!).Cast<object>().Select(tp => $"{tp}={position.Invoke(consumer, [tp])}"));
        var topicPartitionCtor = T("TopicPartition").GetConstructor([typeof(string), partitionType])!;
        var query = consumerType.GetInterfaces().Append(consumerType).SelectMany(i => i.GetMethods())
            .First(m => m.Name == "QueryWatermarkOffsets" && m.GetParameters().Length == 2);
        long Low(object consumer, string topic, int partition)
        {
            var tp = topicPartitionCtor.Invoke([topic, Activator.CreateInstance(partitionType, partition)]);
            var watermarks = query.Invoke(consumer, [tp, TimeSpan.FromSeconds(10)])!;
            var low = watermarks.GetType().GetProperty("Low")!.GetValue(watermarks)!;
            return (long)low.GetType().GetProperty("Value")!.GetValue(low)!;
        }

        return new Binding(Create, Assign, consumeValue, consumer => close.Invoke(consumer, null), Positions, Low);
    }
}

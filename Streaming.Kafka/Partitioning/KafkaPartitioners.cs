namespace CartRecovery.Streaming.Kafka;

/// <summary>
/// The key-to-partition functions of Kafka producers, so the provider maps a stream to exactly the partition a keyed
/// produce of the same key lands in (tests check each against librdkafka's own).
/// </summary>
public static class KafkaPartitioners
{
    /// <summary>murmur2 of the key, as the Java client's default partitioner and librdkafka's <c>murmur2_random</c>.</summary>
    public const string Murmur2Random = "murmur2_random";

    /// <summary>CRC32 of the key, as librdkafka's default <c>consistent_random</c>.</summary>
    public const string ConsistentRandom = "consistent_random";

    public static bool IsKnown(string? name) => name is Murmur2Random or ConsistentRandom;

    /// <summary>The partition of a non-empty key among <paramref name="partitions"/>.</summary>
    public static int Partition(string partitioner, ReadOnlySpan<byte> key, int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        if (key.IsEmpty)
        {
            throw new ArgumentException("a key is required: keyless records go to a random partition", nameof(key));
        }

        return partitioner switch
        {
            Murmur2Random => (int)((uint)(Murmur2(key) & 0x7fffffff) % (uint)partitions),
            ConsistentRandom => (int)(Crc32(key) % (uint)partitions),
            _ => throw new ArgumentException($"unknown partitioner '{partitioner}'", nameof(partitioner)),
        };
    }

    /// <summary>Kafka's murmur2 (seed 0x9747b28c), bit for bit as <c>org.apache.kafka.common.utils.Utils.murmur2</c>.</summary>
    public static int Murmur2(ReadOnlySpan<byte> data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        var length = data.Length;
        var h = 0x9747b28c ^ (uint)length;
        var blocks = length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = (uint)(data[i * 4] | data[(i * 4) + 1] << 8 | data[(i * 4) + 2] << 16 | data[(i * 4) + 3] << 24);
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }

        var tail = length & ~3;
        switch (length % 4)
        {
            case 3:
                h ^= (uint)data[tail + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[tail + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[tail];
                h *= m;
                break;
        }

        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)h;
    }

    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>CRC-32 (IEEE 802.3, reflected), as librdkafka's <c>rd_crc32</c>.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xffffffffu;
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xff] ^ (crc >> 8);
        }

        return crc ^ 0xffffffffu;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}

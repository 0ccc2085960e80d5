using System.Buffers;
using System.IO.Hashing;
using System.Numerics;
using System.Text;

namespace CartRecovery.Persistence.Internal;

// The keys of the grain states stored in a database, as a Bloom filter (about 1% false "may be
// there", never a false "is not there"), so that activating a grain never stored skips the read.
// Only sound while this process is the only writer of the database: every key stored is added
// either when the filter is filled at start or when this process inserts it. Segments double in
// capacity as keys come: a key is added to the newest, a lookup checks each (about 1.2 MB per
// million keys).
internal sealed class StoredKeyFilter
{
    private const int BitsPerKey = 10;
    private const int Probes = 7;

    private readonly Lock _grow = new();
    private volatile Segment[] _segments;

    public StoredKeyFilter(long expectedKeys) => _segments = [new Segment(Math.Max(expectedKeys, 1 << 16))];

    public long Count => _segments.Sum(s => Volatile.Read(ref s.Count));

    public bool MayContain(in StateKey key)
    {
        var (h1, h2) = Hash(key);
        foreach (var segment in _segments)
        {
            if (segment.MayContain(h1, h2))
            {
                return true;
            }
        }

        return false;
    }

    public void Add(in StateKey key)
    {
        var (h1, h2) = Hash(key);
        var segment = _segments[^1];
        if (Interlocked.Increment(ref segment.Count) > segment.Capacity)
        {
            // Full: the key goes to a new segment of twice the capacity (or one another thread just added).
            Interlocked.Decrement(ref segment.Count);
            lock (_grow)
            {
                segment = _segments[^1];
                if (Volatile.Read(ref segment.Count) >= segment.Capacity)
                {
                    segment = new Segment(segment.Capacity * 2);
                    _segments = [.. _segments, segment];
                }

                Interlocked.Increment(ref segment.Count);
            }
        }

        segment.Set(h1, h2);
    }

    // Two 64-bit hashes of the key's three parts (each length-prefixed), for double hashing.
    private static (ulong, ulong) Hash(in StateKey key)
    {
        var max = Encoding.UTF8.GetMaxByteCount(key.GrainType.Length + key.GrainKey.Length + key.StateName.Length) + 12;
        var rented = max > 512 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> buffer = rented ?? stackalloc byte[512];
        var length = 0;
        foreach (var part in (ReadOnlySpan<string>)[key.GrainType, key.GrainKey, key.StateName])
        {
            var written = Encoding.UTF8.GetBytes(part, buffer[(length + 4)..]);
            BitConverter.TryWriteBytes(buffer[length..], written);
            length += 4 + written;
        }

        var hash = XxHash128.HashToUInt128(buffer[..length]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        // An odd step visits every bit of a power-of-two table.
        return ((ulong)hash, (ulong)(hash >> 64) | 1);
    }

    private sealed class Segment
    {
        private readonly ulong[] _words;
        private readonly ulong _mask;

        public Segment(long capacity)
        {
            Capacity = capacity;
            var bits = (ulong)BitOperations.RoundUpToPowerOf2((ulong)(capacity * BitsPerKey));
            _words = new ulong[Math.Max(1, bits / 64)];
            _mask = bits - 1;
        }

        public long Capacity { get; }

        public long Count;

        public bool MayContain(ulong h1, ulong h2)
        {
            for (var i = 0UL; i < Probes; i++)
            {
                var bit = (h1 + i * h2) & _mask;
                if ((Volatile.Read(ref _words[bit >> 6]) & (1UL << (int)(bit & 63))) == 0)
                {
                    return false;
                }
            }

            return true;
        }

        public void Set(ulong h1, ulong h2)
        {
            for (var i = 0UL; i < Probes; i++)
            {
                var bit = (h1 + i * h2) & _mask;
                Interlocked.Or(ref _words[bit >> 6], 1UL << (int)(bit & 63));
            }
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using Orleans.Runtime;
using Orleans.Streams;

namespace CartRecovery.Streaming.Kafka.Providers;

/// <summary>
/// The cache of one partition between the fetcher and the pulling agent: what Orleans' <c>SimpleQueueCache</c> does,
/// with every record also filed under its stream. Orleans' cursors step through the records of all streams to find
/// those of their own, and with a stream per shopper a record of one shopper is followed by thousands of others'.
/// Here a cursor moves from one record of its stream straight to the next.
/// What stays the same: records leave only in arrival order, a tenth of the cache (a bucket) at a time and only
/// when no cursor still needs one of them; a full cache reports pressure, which stops the agent reading (the
/// backpressure); a cursor asked for a token older than the cache throws <see cref="QueueCacheMissException"/>.
/// Records whose delivery the agent gave up on leave flagged (<see cref="KafkaBatchContainer.DeliveryFailed"/>),
/// so the receiver dead-letters them before their offsets count as done.
/// </summary>
/// <remarks>
/// The cursor also does the batching: one read returns up to <c>deliveryBatch</c> records of its stream that follow
/// one another in the cache, as one <see cref="KafkaRecordGroup"/> (the agent is set to deliver one container per
/// call). The agent reads a cursor again only after it delivered what the last read returned, so a cursor keeps the
/// records of its last read until the next one, and a failed delivery flags exactly those records. (Orleans' own
/// cursors learn the agent's batch through an interface internal to Orleans, which this cache cannot implement.)
/// The agent uses a cache from one grain turn at a time; nothing here is thread-safe.
/// </remarks>
internal sealed class KafkaQueueCache : IQueueCache
{
    private const int BucketCount = 10;

    private readonly int _bucketSize;
    private readonly int _deliveryBatch;
    private readonly Queue<Item> _items = new();
    private readonly List<Bucket> _buckets = new();
    private readonly Dictionary<StreamId, Lane> _lanes = new();
    private Item? _newest;

    public KafkaQueueCache(int cacheSize, int deliveryBatch)
    {
        _bucketSize = Math.Max(cacheSize / BucketCount, 1);
        _deliveryBatch = Math.Max(deliveryBatch, 1);
    }

    public int Size => _items.Count;

    public int GetMaxAddCount() => _bucketSize;

    public bool IsUnderPressure() => _buckets.Count >= BucketCount;

    public void AddToCache(IList<IBatchContainer> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var message in messages)
        {
            var bucket = _buckets.Count > 0 && _buckets[^1].Items < _bucketSize ? _buckets[^1] : NewBucket();
            if (!_lanes.TryGetValue(message.StreamId, out var lane))
            {
                _lanes[message.StreamId] = lane = new Lane(message.StreamId);
            }

            var item = new Item(message, bucket, lane);
            bucket.Items++;
            lane.Add(item);
            _items.Enqueue(item);
            _newest = item;
        }
    }

    public bool TryPurgeFromCache([MaybeNullWhen(false)] out IList<IBatchContainer> purgedItems)
    {
        purgedItems = null;
        if (_items.Count == 0 || _buckets.Count == 0 || _buckets[0].Pins > 0)
        {
            return false;
        }

        var purged = new List<IBatchContainer>();
        while (_buckets.Count > 0 && _buckets[0].Pins == 0)
        {
            var bucket = _buckets[0];
            while (_items.TryPeek(out var oldest) && oldest.Bucket == bucket)
            {
                _items.Dequeue();
                if (oldest.Failed && oldest.Container is KafkaBatchContainer kafka)
                {
                    kafka.DeliveryFailed = true;
                }

                oldest.Lane.RemoveOldest();
                if (oldest.Lane.IsEmpty && _lanes.TryGetValue(oldest.Lane.StreamId, out var lane) && lane == oldest.Lane)
                {
                    _lanes.Remove(oldest.Lane.StreamId);
                }

                purged.Add(oldest.Container);
            }

            _buckets.RemoveAt(0);
        }

        if (_items.Count == 0)
        {
            _newest = null;
        }

        purgedItems = purged;
        return purged.Count > 0;
    }

    public IQueueCacheCursor GetCacheCursor(StreamId streamId, StreamSequenceToken? token)
    {
        var cursor = new Cursor(this, streamId);
        cursor.Initialize(token);
        return cursor;
    }

    private Bucket NewBucket()
    {
        var bucket = new Bucket();
        _buckets.Add(bucket);
        return bucket;
    }

    // Where a cursor asked for token starts: the first record of the stream at or after it. Null with the token to
    // keep when there is none (yet).
    private Item? Find(StreamId streamId, ref StreamSequenceToken? token)
    {
        if (_newest is null)
        {
            return null;
        }

        token ??= _newest.Token;
        if (token.Newer(_newest.Token))
        {
            return null;
        }

        var oldest = _items.Peek();
        if (token.Older(oldest.Token))
        {
            throw new QueueCacheMissException(token, oldest.Token, _newest.Token);
        }

        var found = _lanes.TryGetValue(streamId, out var lane) ? lane.FirstAtOrAfter(token) : null;
        if (found is null)
        {
            // Nothing of this stream from there on: the cursor waits for the stream's next records, whatever their token.
            token = null;
        }

        return found;
    }

    // A tenth of the cache: how many records it holds, and how many cursors still need one of them.
    private sealed class Bucket
    {
        public int Items;
        public int Pins;
    }

    private sealed class Item(IBatchContainer container, Bucket bucket, Lane lane)
    {
        public readonly IBatchContainer Container = container;
        public readonly StreamSequenceToken Token = container.SequenceToken;
        public readonly Bucket Bucket = bucket;
        public readonly Lane Lane = lane;
        public long Position;
        public bool Failed;
    }

    // The records of one stream in arrival order; a record's position counts from the stream's first record here.
    private sealed class Lane(StreamId streamId)
    {
        private readonly List<Item> _items = new();
        private int _start;
        private long _firstPosition;
        private long _nextPosition;

        public StreamId StreamId { get; } = streamId;

        public bool IsEmpty => _start == _items.Count;

        public void Add(Item item)
        {
            item.Position = _nextPosition++;
            _items.Add(item);
        }

        public void RemoveOldest()
        {
            _items[_start] = null!;
            _start++;
            _firstPosition++;
            if (_start >= 32 && _start * 2 >= _items.Count)
            {
                _items.RemoveRange(0, _start);
                _start = 0;
            }
        }

        public Item? At(long position)
        {
            var index = position - _firstPosition;
            return index >= 0 && index < _items.Count - _start ? _items[_start + (int)index] : null;
        }

        public Item? FirstAtOrAfter(StreamSequenceToken token)
        {
            int low = _start, high = _items.Count;
            while (low < high)
            {
                var middle = low + ((high - low) / 2);
                if (_items[middle].Token.Older(token))
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low < _items.Count ? _items[low] : null;
        }
    }

    private sealed class Cursor(KafkaQueueCache cache, StreamId streamId) : IQueueCacheCursor
    {
        // The records of the last read (being delivered until the next read); the last of them is where the cursor stands.
        private readonly List<Item> _read = new(1);
        private Item? _at;
        private StreamSequenceToken? _token;
        private IBatchContainer? _current;
        private Bucket? _pinned;
        private bool _disposed;

        public void Initialize(StreamSequenceToken? token)
        {
            _at = cache.Find(streamId, ref token);
            _token = _at is null ? token : null;
            Repin();
        }

        public IBatchContainer? GetCurrent(out Exception? exception)
        {
            exception = null;
            return _current;
        }

        public bool MoveNext()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // Read again: what the last read returned has been delivered.
            var first = _current is null ? _at : _at?.Lane.At(_at.Position + 1);
            _read.Clear();
            for (var item = first; item is not null && _read.Count < cache._deliveryBatch; item = item.Lane.At(item.Position + 1))
            {
                _read.Add(item);
            }

            if (_read.Count == 0)
            {
                // The end of the stream for now: the agent refreshes the cursor when more of it arrives.
                _at = null;
                _current = null;
            }
            else
            {
                _at = _read[^1];
                _current = _read.Count == 1 ? _read[0].Container : new KafkaRecordGroup(streamId, _read.Select(i => (KafkaBatchContainer)i.Container).ToList());
            }

            Repin();
            return _current is not null;
        }

        public void Refresh(StreamSequenceToken token)
        {
            if (_at is null)
            {
                Initialize(_token ?? token);
            }
        }

        // The agent gave up on delivering what the last read returned.
        public void RecordDeliveryFailure()
        {
            foreach (var item in _read)
            {
                item.Failed = true;
            }
        }

        public void Dispose()
        {
            _disposed = true;
            _read.Clear();
            _at = null;
            _current = null;
            Repin();
        }

        // A cursor keeps the oldest record it may still need: the first of its last read, else the one it stands on.
        private void Repin()
        {
            var needed = _read.Count > 0 ? _read[0].Bucket : _at?.Bucket;
            if (needed == _pinned)
            {
                return;
            }

            if (_pinned is not null)
            {
                _pinned.Pins--;
            }

            if (needed is not null)
            {
                needed.Pins++;
            }

            _pinned = needed;
        }
    }
}

internal sealed class KafkaQueueAdapterCache(int cacheSize, int deliveryBatch) : IQueueAdapterCache
{
    public IQueueCache CreateQueueCache(QueueId queueId) => new KafkaQueueCache(cacheSize, deliveryBatch);
}

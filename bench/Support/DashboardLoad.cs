using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Json;

namespace CartRecovery.Bench.Support;

/// <summary>
/// Open-loop storefront load: batches of REES46 events POSTed to /v1/events with the ingest key at
/// a fixed rate, from a pacing thread that fires each batch on schedule (at most
/// <c>maxInFlight</c> requests outstanding; a batch that finds no slot is counted as skipped, not
/// queued). Events go out in their time order, each stamped with the send time; when the list is
/// exhausted it starts over with fresh event ids (returning shoppers).
/// </summary>
internal sealed class DashboardLoad : IDisposable
{
    private readonly HttpClient _http;
    private readonly StorefrontEvent[] _events;
    private readonly string[] _baseIds;
    private readonly int _eventsPerSecond;
    private readonly int _batchSize;
    private readonly SemaphoreSlim _slots;
    private readonly int _maxInFlight;
    private readonly Lock _gate = new();
    private readonly List<double> _latenciesMs = new();
    private Thread? _thread;
    private volatile bool _stop;
    private long _acceptedEvents;
    private long _sentEvents;
    private long _failedRequests;
    private long _skippedBatches;
    private int _next;
    private int _cycle;

    public DashboardLoad(string baseAddress, string ingestKey, IReadOnlyList<StorefrontEvent> events, int eventsPerSecond, int batchSize, int maxInFlight = 64)
    {
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = maxInFlight, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri(baseAddress),
            Timeout = TimeSpan.FromSeconds(30),
        };
        _http.DefaultRequestHeaders.Add("X-Api-Key", ingestKey);
        _events = [.. events];
        _baseIds = _events.Select(e => e.EventId).ToArray();
        _eventsPerSecond = eventsPerSecond;
        _batchSize = batchSize;
        _slots = new SemaphoreSlim(maxInFlight, maxInFlight);
        _maxInFlight = maxInFlight;
    }

    public long AcceptedEvents => Interlocked.Read(ref _acceptedEvents);

    public long SentEvents => Interlocked.Read(ref _sentEvents);

    public long FailedRequests => Interlocked.Read(ref _failedRequests);

    public long SkippedBatches => Interlocked.Read(ref _skippedBatches);

    public void Start()
    {
        _thread = new Thread(Pace) { IsBackground = true, Name = "dashboard-bench-load" };
        _thread.Start();
    }

    /// <summary>Request latencies (ms) since the last call, and clears them.</summary>
    public double[] TakeLatencies()
    {
        lock (_gate)
        {
            var all = _latenciesMs.ToArray();
            _latenciesMs.Clear();
            return all;
        }
    }

    private void Pace()
    {
        var interval = Stopwatch.Frequency * (double)_batchSize / _eventsPerSecond;
        var started = Stopwatch.GetTimestamp();
        long fired = 0;
        while (!_stop)
        {
            var due = (long)((Stopwatch.GetTimestamp() - started) / interval);
            while (fired < due && !_stop)
            {
                fired++;
                if (!_slots.Wait(0))
                {
                    Interlocked.Increment(ref _skippedBatches);
                    continue;
                }

                var body = NextBatch();
                _ = SendAsync(body);
            }

            var nextAt = started + (long)((fired + 1) * interval);
            var waitMs = (nextAt - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency;
            if (waitMs >= 1)
            {
                Thread.Sleep((int)waitMs);
            }
        }
    }

    private byte[] NextBatch()
    {
        var now = DateTimeOffset.UtcNow;
        using var stream = new MemoryStream(_batchSize * 400);
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            for (var i = 0; i < _batchSize; i++)
            {
                if (_next == _events.Length)
                {
                    _next = 0;
                    _cycle++;
                }

                var e = _events[_next];
                e.EventId = _cycle == 0 ? _baseIds[_next] : $"{_baseIds[_next]}~w{_cycle}";
                e.OccurredAt = now;
                _next++;
                JsonSerializer.Serialize(writer, e, GrainsJsonContext.Default.StorefrontEvent);
            }

            writer.WriteEndArray();
        }

        return stream.ToArray();
    }

    private async Task SendAsync(byte[] body)
    {
        var t0 = Stopwatch.GetTimestamp();
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await _http.PostAsync("/v1/events", content);
            Interlocked.Add(ref _sentEvents, _batchSize);
            if (response.IsSuccessStatusCode)
            {
                Interlocked.Add(ref _acceptedEvents, _batchSize);
                var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                lock (_gate)
                {
                    _latenciesMs.Add(ms);
                }
            }
            else
            {
                Interlocked.Increment(ref _failedRequests);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Interlocked.Increment(ref _failedRequests);
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread?.Join();
        for (var i = 0; i < 200 && _slots.CurrentCount < _maxInFlight; i++)
        {
            Thread.Sleep(50);
        }

        _http.Dispose();
    }
}

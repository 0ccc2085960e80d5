using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Json;
using CartRecovery.Runtime;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>
/// Several concurrent storefront backends posting events to a gateway. Each shopper belongs to
/// one sender, which posts its events in list order and waits for each answer, so every
/// shopper's events reach Kafka in the order the reference applies them. A failed post is
/// retried with the same event ids (duplicates are the product's to absorb).
/// </summary>
internal sealed class EventSender : IDisposable
{
    private readonly HttpClient _http;
    private readonly List<List<StorefrontEvent>> _lanes;
    private readonly int _batchSize;
    private readonly double? _eventsPerSecond;
    private readonly Stopwatch _clock = new();
    private int _sent;
    private int _retries;
    private int _holdAt = int.MaxValue;
    private TimeSpan _nextSlot;
    private string? _lastError;

    public EventSender(string gatewayUrl, IEnumerable<StorefrontEvent> events, int senders = 4, int batchSize = 500, double? eventsPerSecond = null)
    {
        _http = new HttpClient { BaseAddress = new Uri(gatewayUrl), Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Add("X-Api-Key", TestCluster.IngestKey);
        _lanes = Enumerable.Range(0, senders).Select(_ => new List<StorefrontEvent>()).ToList();
        foreach (var e in events)
        {
            _lanes[(int)(StableHash.Fraction(e.ShopperId, "sender") * senders) % senders].Add(e);
        }

        Total = _lanes.Sum(l => l.Count);
        _batchSize = batchSize;
        _eventsPerSecond = eventsPerSecond;
    }

    public int Total { get; }

    /// <summary>Events acknowledged by the gateway so far.</summary>
    public int Sent => Volatile.Read(ref _sent);

    public int Retries => Volatile.Read(ref _retries);

    public string? LastError => _lastError;

    public TimeSpan Elapsed => _clock.Elapsed;

    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>
    /// Senders stop before the acknowledged count would pass <paramref name="count"/> until the
    /// hold is moved (so a fault is injected mid-stream however fast or slow the machine is).
    /// </summary>
    public void HoldAt(int count) => Volatile.Write(ref _holdAt, count);

    public void Release() => HoldAt(int.MaxValue);

    public EventSender Start(CancellationToken cancellationToken = default)
    {
        _clock.Start();
        Completion = Task.WhenAll(_lanes.Select(lane => Task.Run(() => RunAsync(lane, cancellationToken), cancellationToken)));
        return this;
    }

    /// <summary>Completes once at least <paramref name="count"/> events were acknowledged (or all were sent).</summary>
    public async Task WhenSentAsync(int count, TimeSpan timeout)
    {
        var ok = await Poll.UntilAsync(() => Sent >= count || Completion.IsCompleted, timeout, TimeSpan.FromMilliseconds(50));
        if (Completion.IsFaulted)
        {
            await Completion;
        }

        if (!ok)
        {
            throw new TimeoutException($"only {Sent} of {count} events sent within {timeout.TotalSeconds:0} s (last error: {_lastError})");
        }
    }

    private async Task RunAsync(List<StorefrontEvent> lane, CancellationToken cancellationToken)
    {
        for (var i = 0; i < lane.Count; i += _batchSize)
        {
            var batch = lane.GetRange(i, Math.Min(_batchSize, lane.Count - i));
            while (Sent + batch.Count > Volatile.Read(ref _holdAt))
            {
                await Task.Delay(20, cancellationToken);
            }

            if (_eventsPerSecond is { } rate)
            {
                // Pace all senders together (a shared schedule; a hold or a slow answer never turns into a burst).
                TimeSpan slot;
                lock (_lanes)
                {
                    slot = _nextSlot > _clock.Elapsed ? _nextSlot : _clock.Elapsed;
                    _nextSlot = slot + TimeSpan.FromSeconds(batch.Count / rate);
                }

                if (slot > _clock.Elapsed)
                {
                    await Task.Delay(slot - _clock.Elapsed, cancellationToken);
                }
            }

            await PostAsync(_http, batch, cancellationToken, error =>
            {
                Interlocked.Increment(ref _retries);
                _lastError = error;
            });
            Interlocked.Add(ref _sent, batch.Count);
        }
    }

    /// <summary>Posts one batch, retrying (same ids) until the gateway acknowledges it; gives up after two minutes.</summary>
    public static async Task PostAsync(HttpClient http, List<StorefrontEvent> batch, CancellationToken cancellationToken, Action<string>? onRetry = null)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(batch, GrainsJsonContext.Default.ListStorefrontEvent);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            string error;
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync("/v1/events", content, cancellationToken);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    var result = JsonSerializer.Deserialize(text, GrainsJsonContext.Default.IngestResult)!;
                    if (result.Accepted != batch.Count)
                    {
                        throw new InvalidOperationException($"the gateway refused events the test considers valid: {text}");
                    }

                    return;
                }

                error = $"{(int)response.StatusCode}: {text}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                error = e.Message;
            }

            if (watch.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException("the gateway did not accept a batch within 2 minutes: " + error);
            }

            onRetry?.Invoke(error);
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>Posts events in order from this thread (small side batches: probes, targeted events).</summary>
    public static async Task PostAllAsync(string gatewayUrl, IReadOnlyList<StorefrontEvent> events, int batchSize = 500)
    {
        using var http = new HttpClient { BaseAddress = new Uri(gatewayUrl), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("X-Api-Key", TestCluster.IngestKey);
        for (var i = 0; i < events.Count; i += batchSize)
        {
            await PostAsync(http, events.Skip(i).Take(batchSize).ToList(), CancellationToken.None);
        }
    }

    public void Dispose() => _http.Dispose();
}

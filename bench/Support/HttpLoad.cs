using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace CartRecovery.Bench.Support;

/// <summary>
/// Closed-loop HTTP load: <c>concurrency</c> loops each POST a body and await the answer before the
/// next, for a fixed time; every completion is recorded with its time, so throughput can be read
/// over windows of one continuous run (no drain between rounds). Bodies come in order from a shared
/// cursor; with <c>wrap</c> false each is sent once. When the time is up, requests still in flight
/// get a grace period; those that have not answered by then are cancelled and counted as stuck.
/// </summary>
internal sealed class HttpLoad : IDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _url;
    private readonly IReadOnlyList<byte[]> _bodies;
    private readonly bool _wrap;
    private readonly (string Name, string Value)[] _headers;
    private long _cursor = -1;

    public HttpLoad(Uri url, IReadOnlyList<byte[]> bodies, bool wrap, int connections, params (string Name, string Value)[] headers)
    {
        _url = url;
        _bodies = bodies;
        _wrap = wrap;
        _headers = headers;
        _client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
    }

    public long Sent => Math.Max(0, Interlocked.Read(ref _cursor) + 1);

    public bool Exhausted => !_wrap && Interlocked.Read(ref _cursor) + 1 >= _bodies.Count;

    /// <summary>One answered request: when it completed (Stopwatch ticks), its latency and accepted events (-1: failed).</summary>
    public readonly record struct Completion(long At, double LatencyMs, int Accepted);

    public sealed record Result(long Started, long Ended, Completion[] Completions, long Stuck, long Failures, string? FirstError)
    {
        /// <summary>Figures over the completions inside [from, to) seconds after the start.</summary>
        public Window Between(double from, double to)
        {
            var a = Started + (long)(from * Stopwatch.Frequency);
            var b = Started + (long)(to * Stopwatch.Frequency);
            var inside = Completions.Where(c => c.At >= a && c.At < b).ToArray();
            var ok = inside.Where(c => c.Accepted >= 0).ToArray();
            var latencies = ok.Select(c => c.LatencyMs).Order().ToArray();
            return new Window(to - from, ok.Length, ok.Sum(c => (long)c.Accepted), inside.Length - ok.Length, latencies);
        }

        public double Seconds => (Ended - Started) / (double)Stopwatch.Frequency;
    }

    public sealed record Window(double Seconds, long Requests, long Accepted, long Failures, double[] SortedLatenciesMs)
    {
        public double EventsPerSecond => Accepted / Seconds;

        public double RequestsPerSecond => Requests / Seconds;

        public double P50 => LatencyLog.Rank(SortedLatenciesMs, 50);

        public double P99 => LatencyLog.Rank(SortedLatenciesMs, 99);
    }

    public async Task<Result> RunAsync(int concurrency, TimeSpan duration, TimeSpan grace, CancellationToken cancellationToken)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var stop = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var lists = new List<Completion>[concurrency];
        long failures = 0;
        string? firstError = null;
        var loops = Enumerable.Range(0, concurrency).Select(n => Task.Run(async () =>
        {
            var done = lists[n] = new List<Completion>(1024);
            while (Stopwatch.GetTimestamp() < stop && !abort.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref _cursor);
                if (!_wrap && i >= _bodies.Count)
                {
                    return;
                }

                var body = _bodies[(int)(i % _bodies.Count)];
                using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                foreach (var (name, value) in _headers)
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }

                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await _client.SendAsync(request, abort.Token);
                    var bytes = await response.Content.ReadAsByteArrayAsync(abort.Token);
                    var now = Stopwatch.GetTimestamp();
                    var ms = (now - t0) * 1000.0 / Stopwatch.Frequency;
                    if (response.IsSuccessStatusCode)
                    {
                        done.Add(new Completion(now, ms, AcceptedOf(bytes)));
                    }
                    else
                    {
                        done.Add(new Completion(now, ms, -1));
                        Interlocked.Increment(ref failures);
                        Interlocked.CompareExchange(ref firstError, $"HTTP {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Min(300, bytes.Length)))}", null);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    if (abort.IsCancellationRequested)
                    {
                        return;
                    }

                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref firstError, e.GetType().Name + ": " + e.Message, null);
                }
            }
        })).ToArray();

        var all = Task.WhenAll(loops);
        var deadline = TimeSpan.FromTicks((long)((stop - Stopwatch.GetTimestamp()) * (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)) + grace;
        if (deadline < grace)
        {
            deadline = grace;
        }

        long stuck = 0;
        if (await Task.WhenAny(all, Task.Delay(deadline, cancellationToken)) != all)
        {
            stuck = loops.Count(l => !l.IsCompleted);
            await abort.CancelAsync();
            await all.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        var completions = lists.Where(l => l is not null).SelectMany(l => l).OrderBy(c => c.At).ToArray();
        var ended = completions.Length > 0 ? completions[^1].At : Stopwatch.GetTimestamp();
        return new Result(started, ended, completions, stuck, failures, firstError);
    }

    private static int AcceptedOf(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("accepted"u8) && reader.Read())
            {
                return reader.GetInt32();
            }
        }

        return 0;
    }

    public void Dispose() => _client.Dispose();
}

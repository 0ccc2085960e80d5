using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CartRecovery.Bench.Support;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Json;
using CartRecovery.Silo;
using CartRecovery.Streaming.Kafka.Diagnostics;

namespace CartRecovery.Bench.Kafka;

/// <summary>
/// Kill-to-served failover: two silos of one cluster (this bench again as child processes: <see cref="SiloApp"/> with
/// <c>Silo:Role=silo</c>, Redis membership, the same PostgreSQL database and mock brokers) share the partitions of a
/// fresh topic; each reports which it reads on its /metrics (the <c>kafka_consumer_lag</c> series). After warm-up
/// events reached grains on both, one silo is killed with SIGKILL and one event is produced to each partition it read.
/// Taken: until the survivor reports every one of those partitions (membership declared the dead silo dead, the queue
/// balancer moved its queues, the survivor took the partition leases). Served: until each of them reports lag 0 on
/// the survivor, i.e. the events produced after the kill were applied with durable effects (their grains activated on
/// the survivor where they had lived on the dead silo).
/// </summary>
internal static partial class Failover
{
    public const string Topic = "failover-events";
    private const string ChildFlag = "--silo-child";

    public sealed record Result(double TakenSeconds, double ServedSeconds, int PartitionsMoved, int Silos);

    /// <summary>Runs the measurement; null (with the reason logged) when Redis is not reachable or a step times out.</summary>
    public static async Task<Result?> RunAsync(BenchKafka kafka, string connectionString, string redis, CancellationToken cancellationToken)
    {
        if (!await RedisReachableAsync(redis))
        {
            BenchLog.Info($"failover: Redis at {redis} is not reachable (CARTRECOVERY_TEST_REDIS); skipped");
            return null;
        }

        kafka.Cluster.CreateTopic(Topic, kafka.Partitions);
        var cluster = "bench" + Guid.NewGuid().ToString("N")[..10];
        string[] childArgs =
        [
            "kafka", ChildFlag,
            "--bootstrap", kafka.BootstrapServers,
            "--partitions", kafka.Partitions.ToString(CultureInfo.InvariantCulture),
            "--pg", connectionString,
            "--redis", redis,
            "--cluster", cluster,
        ];
        await using var first = BenchChild.Start("silo-a", childArgs, "  [silo-a] ");
        await using var second = BenchChild.Start("silo-b", childArgs, "  [silo-b] ");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            var urls = await Task.WhenAll(first.WaitForAsync("URL=", TimeSpan.FromMinutes(2), cancellationToken), second.WaitForAsync("URL=", TimeSpan.FromMinutes(2), cancellationToken));
            BenchLog.Info($"failover: two silos up ({urls[0]}, {urls[1]}), cluster {cluster}");

            // Both reading, every partition read by exactly one of them.
            var deadline = DateTime.UtcNow.AddSeconds(90);
            Dictionary<int, long> a = [], b = [];
            while (true)
            {
                a = await LagsAsync(http, urls[0], cancellationToken);
                b = await LagsAsync(http, urls[1], cancellationToken);
                if (a.Count > 0 && b.Count > 0 && a.Count + b.Count == kafka.Partitions && !a.Keys.Intersect(b.Keys).Any())
                {
                    break;
                }

                if (DateTime.UtcNow > deadline)
                {
                    BenchLog.Info($"failover: the silos did not share the {kafka.Partitions} partitions within 90 s (reading {a.Count} and {b.Count}); skipped");
                    return null;
                }

                await Task.Delay(200, cancellationToken);
            }

            // Warm-up: events on every partition, applied on both silos.
            await ProduceAsync(kafka, Enumerable.Range(0, kafka.Partitions * 20).Select(i => Event($"warm-{cluster}-{i}")), cancellationToken);
            if (!await UntilAsync(async () => (await LagsAsync(http, urls[0], cancellationToken)).Values.Concat((await LagsAsync(http, urls[1], cancellationToken)).Values).All(l => l == 0), TimeSpan.FromSeconds(60), cancellationToken))
            {
                BenchLog.Info("failover: the warm-up events were not applied within 60 s; skipped");
                return null;
            }

            var moved = b.Keys.Order().ToList();
            var markers = moved.Select(p => MarkerFor(kafka, p, cluster)).ToList();
            var killed = Stopwatch.GetTimestamp();
            second.KillHard();
            await ProduceAsync(kafka, markers, cancellationToken);
            BenchLog.Info($"failover: killed {second.Name} (SIGKILL), which read partitions {string.Join(",", moved)}; one event produced to each");

            double taken = double.NaN, served = double.NaN;
            deadline = DateTime.UtcNow.AddSeconds(120);
            while (DateTime.UtcNow < deadline)
            {
                var lags = await LagsAsync(http, urls[0], cancellationToken);
                var now = Stopwatch.GetElapsedTime(killed).TotalSeconds;
                if (double.IsNaN(taken) && moved.All(lags.ContainsKey))
                {
                    taken = now;
                }

                if (moved.All(p => lags.TryGetValue(p, out var lag) && lag == 0))
                {
                    served = now;
                    break;
                }

                await Task.Delay(100, cancellationToken);
            }

            if (double.IsNaN(served))
            {
                BenchLog.Info($"failover: the survivor did not serve the dead silo's partitions within 120 s (taken: {taken:0.0} s)");
            }

            return new Result(taken, served, moved.Count, 2);
        }
        finally
        {
            // Closing stdin is a graceful stop; killed if still running after 30 s.
            await first.StopAsync(TimeSpan.FromSeconds(30));
            await second.StopAsync(TimeSpan.FromSeconds(30));
            await ForgetClusterAsync(redis, cluster);
        }
    }

    /// <summary>Removes the run's membership table from Redis (Orleans' key: service id / members / cluster id).</summary>
    private static async Task ForgetClusterAsync(string redis, string cluster)
    {
        try
        {
            await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis);
            await connection.GetDatabase().KeyDeleteAsync($"cartrecovery/members/{cluster}");
        }
        catch (StackExchange.Redis.RedisException e)
        {
            BenchLog.Info($"failover: the membership table of {cluster} was not removed from Redis ({e.Message})");
        }
    }

    /// <summary>The child: one silo, until stdin closes (then a graceful stop) or SIGKILL.</summary>
    public static bool IsChild(string[] args) => BenchOptions.Flag(args, ChildFlag);

    public static async Task RunChildAsync(string[] args)
    {
        var app = await SiloApp.StartAsync(
        [
            "--environment", "Development",
            "--Silo:Role=silo",
            "--Http:Host=127.0.0.1",
            "--Http:Port=0",
            "--Cluster:Membership=Redis",
            "--Cluster:RedisConnectionString=" + BenchOptions.String(args, "--redis"),
            "--Cluster:ClusterId=" + BenchOptions.String(args, "--cluster"),
            "--Cluster:AdvertisedAddress=127.0.0.1",
            "--Cluster:SiloPort=0",
            "--Cluster:GatewayPort=0",
            "--Storage:Provider=Postgres",
            "--Storage:ConnectionString=" + BenchOptions.String(args, "--pg"),
            "--Events:Provider=Kafka",
            "--Kafka:BootstrapServers=" + BenchOptions.String(args, "--bootstrap"),
            "--Kafka:EventsTopic=" + Topic,
            "--Kafka:ConsumerGroup=failover",
            "--Kafka:Partitions=" + BenchOptions.String(args, "--partitions"),
            "--Auth:IngestKey=" + ProductApp.IngestKey,
            "--Auth:AdminPassword=" + ProductApp.AdminPassword,
            "--Logging:LogLevel:Default=Error",
        ]);
        Console.Out.WriteLine("URL=" + SiloApp.BaseAddress(app));
        Console.Out.Flush();
        await Task.Run(() => Console.In.ReadToEnd());
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }

    /// <summary>partition → lag, from the kafka_consumer_lag series of a silo's /metrics (the partitions it reads).</summary>
    private static async Task<Dictionary<int, long>> LagsAsync(HttpClient http, string url, CancellationToken cancellationToken)
    {
        var lags = new Dictionary<int, long>();
        string text;
        try
        {
            text = await http.GetStringAsync(url + "/metrics", cancellationToken);
        }
        catch (HttpRequestException)
        {
            return lags;
        }

        foreach (Match m in LagLine().Matches(text))
        {
            if (m.Groups["labels"].Value.Contains($"{KafkaStreamMetrics.TopicTag}=\"{Topic}\"", StringComparison.Ordinal)
                && PartitionLabel().Match(m.Groups["labels"].Value) is { Success: true } p)
            {
                lags[int.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture)] = (long)double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return lags;
    }

    private static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(200, cancellationToken);
        }

        return false;
    }

    private static EventRecord MarkerFor(BenchKafka kafka, int partition, string cluster)
    {
        for (var i = 0; ; i++)
        {
            var shopper = $"after-kill-{cluster}-{partition}-{i}";
            if (kafka.PartitionOf(shopper) == partition)
            {
                return Event(shopper);
            }
        }
    }

    private static EventRecord Event(string shopper)
    {
        var e = new StorefrontEvent
        {
            EventId = "e-" + shopper,
            Type = EventTypes.PageView,
            ShopperId = shopper,
            SessionId = "s-" + shopper,
            OccurredAt = DateTimeOffset.UtcNow,
            Page = new PageInfo { Url = "https://shop.example/" },
        };
        return new EventRecord(Encoding.UTF8.GetBytes(shopper), JsonSerializer.SerializeToUtf8Bytes(e, GrainsJsonContext.Default.StorefrontEvent));
    }

    private static async Task ProduceAsync(BenchKafka kafka, IEnumerable<EventRecord> records, CancellationToken cancellationToken) =>
        await kafka.ProduceAsync(Topic, [.. records], cancellationToken);

    // The configuration string as the silos read it (StackExchange.Redis: endpoints, password, TLS), one short attempt.
    private static async Task<bool> RedisReachableAsync(string redis)
    {
        var options = StackExchange.Redis.ConfigurationOptions.Parse(redis);
        options.ConnectTimeout = 3000;
        options.ConnectRetry = 1;
        options.AbortOnConnectFail = true;
        try
        {
            await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(options);
            return connection.IsConnected;
        }
        catch (StackExchange.Redis.RedisConnectionException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^kafka_consumer_lag\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex LagLine();

    [GeneratedRegex(@"partition=""(\d+)""")]
    private static partial Regex PartitionLabel();
}

using System.Collections.Concurrent;
using System.Text.Json;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Hosting;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Json;
using CartRecovery.Runtime;
using CartRecovery.Runtime.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>
/// The single-pass reference: the same events, in the same order, through the product's grains
/// in this process (embedded bus, temp SQLite file, the cluster's policy, no reminders). Its cart
/// states are what a cluster that applied every event exactly once must hold.
/// </summary>
internal static class ReferenceModel
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyDictionary<string, CartState>>>> Cache = new();

    /// <summary>Computes once per <paramref name="cacheKey"/> (the events must be the same for the same key).</summary>
    public static Task<IReadOnlyDictionary<string, CartState>> CachedAsync(string cacheKey, Func<IReadOnlyList<StorefrontEvent>> events) =>
        Cache.GetOrAdd(cacheKey, _ => new Lazy<Task<IReadOnlyDictionary<string, CartState>>>(() => Task.Run(() => ComputeAsync(events())))).Value;

    private static readonly ConcurrentDictionary<int, TimeSpan> Durations = new();

    /// <summary>How long the computation over <paramref name="events"/> events took (for the test logs).</summary>
    public static TimeSpan DurationFor(int events) => Durations.GetValueOrDefault(events);

    public static async Task<IReadOnlyDictionary<string, CartState>> ComputeAsync(IReadOnlyList<StorefrontEvent> events)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var file = Path.Combine(Path.GetTempPath(), "cr-cluster-reference-" + Guid.NewGuid().ToString("N") + ".db");
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Sqlite",
            ["Storage:ConnectionString"] = $"Data Source={file}",
            ["Runtime:Partitions"] = TestCluster.Partitions.ToString(),
            ["Runtime:ReminderPollInterval"] = "00:00:00",
            // One checkpoint at the end: intermediate ones would only re-serialize the same carts.
            ["Runtime:FlushInterval"] = "01:00:00",
            ["Runtime:FlushMaxDirty"] = "1000000",
        };
        foreach (var (k, v) in TestCluster.Policy)
        {
            settings[k] = v;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddCartRecoveryGrains(configuration);
        var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        try
        {
            foreach (var h in hosted)
            {
                await h.StartAsync(CancellationToken.None);
            }

            provider.GetRequiredService<InProcessEventBus>().WaitForCheckpoint = false;
            var ingestor = provider.GetRequiredService<EventIngestor>();
            const int chunk = 5000;
            for (var i = 0; i < events.Count; i += chunk)
            {
                var slice = new List<StorefrontEvent>(events.Skip(i).Take(chunk));
                var result = await ingestor.IngestAsync(slice, "test", CancellationToken.None);
                if (result.Rejected.Count > 0)
                {
                    throw new InvalidOperationException($"reference refused {result.Rejected.Count} events, e.g. {result.Rejected[0]}");
                }
            }

            var runtime = provider.GetRequiredService<GrainRuntime>();
            await runtime.CheckpointAllAsync();
            var carts = new Dictionary<string, CartState>(StringComparer.Ordinal);
            await foreach (var (key, json) in provider.GetRequiredService<IGrainStorage>().ScanAsync("cart", "cart", CancellationToken.None))
            {
                carts[key] = JsonSerializer.Deserialize(json, GrainsJsonContext.Default.CartState)!;
            }

            Durations[events.Count] = watch.Elapsed;
            return carts;
        }
        finally
        {
            foreach (var h in Enumerable.Reverse(hosted))
            {
                try
                {
                    await h.StopAsync(CancellationToken.None);
                }
                catch (Exception)
                {
                }
            }

            await provider.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var f in new[] { file, file + "-wal", file + "-shm" })
            {
                try
                {
                    File.Delete(f);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>References of disjoint shopper sets merge by key.</summary>
    public static IReadOnlyDictionary<string, CartState> Merge(params IReadOnlyDictionary<string, CartState>[] parts)
    {
        var merged = new Dictionary<string, CartState>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            foreach (var (k, v) in part)
            {
                merged.Add(k, v);
            }
        }

        return merged;
    }
}

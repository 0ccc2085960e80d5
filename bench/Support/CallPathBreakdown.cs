using System.Diagnostics;
using CartRecovery.Bench.Scenarios;
using CartRecovery.Gateway.Metrics;
using CartRecovery.Runtime;

namespace CartRecovery.Bench.Support;

/// <summary>
/// Single-threaded cost of each stage of a grain call (ns per call), to show where the time of the
/// runtime's call path goes: direct method call, runtime turn (InvokeAsync) without the proxy, the
/// proxy, the catalog lookup, the metrics hook, GetGrain, and the metrics listener.
/// </summary>
internal static class CallPathBreakdown
{
    public static async Task<Dictionary<string, double>> MeasureAsync(GrainRuntime runtime, IBenchPingGrain proxy, string key)
    {
        var id = new GrainId("bench-ping", key);
        var instance = new BenchPingGrain();
        Func<Grain, object[], Task<int>> invoker = (g, a) => ((IBenchPingGrain)g).Ping((int)a[0]);
        var result = new Dictionary<string, double>();

        result["ns_direct_method"] = await TimeAsync(async n => await instance.Ping(n));
        result["ns_invoke_turn_no_proxy"] = await TimeAsync(async n => await runtime.InvokeAsync(id, "Ping", invoker, [n]));
        result["ns_proxy_call"] = await TimeAsync(async n => await proxy.Ping(n));
        result["ns_getgrain_plus_call"] = await TimeAsync(async n => await runtime.GetGrain<IBenchPingGrain>(key).Ping(n));
        result["ns_catalog_lookup"] = await TimeAsync(n =>
        {
            runtime.Catalog.GetOrCreate(id);
            return Task.CompletedTask;
        });
        result["ns_grainid_hash"] = await TimeAsync(n =>
        {
            _ = id.GetHashCode();
            return Task.CompletedTask;
        });
        result["ns_metrics_hook"] = await TimeAsync(n =>
        {
            runtime.Metrics.CallCompleted(runtime.Metrics.Start(), "bench-ping", false);
            return Task.CompletedTask;
        });
        using (new PrometheusMetrics("CartRecovery"))
        {
            result["ns_metrics_hook_with_listener"] = await TimeAsync(n =>
            {
                runtime.Metrics.CallCompleted(runtime.Metrics.Start(), "bench-ping", false);
                return Task.CompletedTask;
            });
            result["ns_proxy_call_with_listener"] = await TimeAsync(async n => await proxy.Ping(n));
        }

        BenchLog.Info("call path, single thread (ns/call): " + string.Join(", ", result.Select(kv => $"{kv.Key[3..]} {kv.Value:0}")));
        return result;
    }

    private static async Task<double> TimeAsync(Func<int, Task> body)
    {
        const int warm = 100_000;
        const int n = 500_000;
        for (var i = 0; i < warm; i++)
        {
            await body(i);
        }

        var best = double.MaxValue;
        for (var rep = 0; rep < 3; rep++)
        {
            var t = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                await body(i);
            }

            best = Math.Min(best, Stopwatch.GetElapsedTime(t).TotalNanoseconds / n);
        }

        return Math.Round(best, 1);
    }
}

using CartRecovery.Bench.Infrastructure;

namespace CartRecovery.Bench.Support;

/// <summary>JSON has no NaN or infinity: figures that could not be measured are dropped from the result.</summary>
internal static class BenchDetails
{
    public static BenchResult Finite(this BenchResult result)
    {
        static double F(double v) => double.IsFinite(v) ? v : 0;
        var clean = result.Details.Where(kv => double.IsFinite(kv.Value)).ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var dropped in result.Details.Keys.Except(clean.Keys))
        {
            BenchLog.Info($"note: detail '{dropped}' could not be measured in this run and is left out");
        }

        return result with { Value = F(result.Value), Baseline = F(result.Baseline), Ratio = F(result.Ratio), Details = clean };
    }
}

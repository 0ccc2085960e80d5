using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Bench.Support;

/// <summary>
/// Counts incoming grain calls by grain class (an Orleans incoming call filter, registered in the services
/// of <c>SiloApp.Build</c>): calls from outside the silo, grain-to-grain calls and
/// reminder ticks alike.
/// </summary>
internal sealed class GrainCallCounter : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<Type, StrongBox<long>> _byType = new();

    public static GrainCallCounter AddTo(WebApplicationBuilder builder)
    {
        var counter = new GrainCallCounter();
        builder.Services.AddSingleton<IIncomingGrainCallFilter>(counter);
        return counter;
    }

    public Task Invoke(IIncomingGrainCallContext context)
    {
        var box = _byType.GetOrAdd(context.Grain.GetType(), static _ => new StrongBox<long>());
        Interlocked.Increment(ref box.Value);
        return context.Invoke();
    }

    /// <summary>Calls so far by short grain name ("ShopperGrain"); system and dashboard grains under "other".</summary>
    public Dictionary<string, long> Snapshot()
    {
        var result = new Dictionary<string, long>();
        foreach (var (type, box) in _byType)
        {
            var name = type.Namespace?.StartsWith("CartRecovery.", StringComparison.Ordinal) == true ? type.Name : "other";
            result[name] = result.GetValueOrDefault(name) + Interlocked.Read(ref box.Value);
        }

        return result;
    }
}

using System.Collections.Concurrent;
using Orleans.Metadata;

namespace CartRecovery.Grains.Common;

/// <summary>
/// Grain references by string key for the calls made per event. <c>IGrainFactory.GetGrain&lt;T&gt;(key)</c>
/// works out the grain interface type and the grain type from <typeparamref name="T"/>'s attributes
/// on every call (reflection; about 3% of the ingest path's CPU in a profile); here that is done
/// once per interface, and the reference comes from the factory's <c>GetGrain(GrainId, GrainInterfaceType)</c>.
/// </summary>
public sealed class GrainReferences(IGrainFactory factory, GrainInterfaceTypeResolver interfaces, GrainInterfaceTypeToGrainTypeResolver grainTypes)
{
    private readonly ConcurrentDictionary<Type, (GrainType Grain, GrainInterfaceType Interface)> _types = new();

    public T Get<T>(string key)
        where T : IGrainWithStringKey
    {
        var (grain, @interface) = _types.GetOrAdd(typeof(T), Resolve);
        return (T)factory.GetGrain(GrainId.Create(grain, key), @interface);
    }

    private (GrainType, GrainInterfaceType) Resolve(Type type)
    {
        var @interface = interfaces.GetGrainInterfaceType(type);
        return (grainTypes.GetGrainType(@interface), @interface);
    }
}

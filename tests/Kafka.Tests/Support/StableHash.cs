using System.Text;

namespace CartRecovery.Kafka.Tests.Support;

/// <summary>Stands in for the runtime's grain partitioner: any deterministic key hash will do.</summary>
public static class StableHash
{
    public static Func<string, int> Partitioner(int partitions) => key => (int)(Fnv1A(key) % (uint)partitions);

    private static uint Fnv1A(string key)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}

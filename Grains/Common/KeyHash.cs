using System.Buffers;
using System.Text;

namespace CartRecovery.Grains.Common;

/// <summary>
/// A hash that is the same in every process, machine and .NET version (unlike
/// <see cref="string.GetHashCode()"/>), so a shopper lands in the same control group on every silo
/// and after every restart.
/// </summary>
public static class KeyHash
{
    /// <summary>32-bit FNV-1a over the UTF-8 bytes of <paramref name="value"/>.</summary>
    public static uint Fnv1a(string value)
    {
        const uint offset = 2166136261;
        const uint prime = 16777619;
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var len = Encoding.UTF8.GetBytes(value, buffer);
            var hash = offset;
            foreach (var b in buffer[..len])
            {
                hash = (hash ^ b) * prime;
            }

            return hash;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>A stable fraction in [0, 1) for a key and salt (used for control groups and sampling).</summary>
    public static double Fraction(string key, string salt) => Fnv1a(salt + ":" + key) / 4294967296.0;
}

namespace CartRecovery.Model.Training;

/// <summary>
/// Our own seeded generator (SplitMix64) so sampling — and therefore the model — is identical on every
/// .NET version and machine, which System.Random does not promise.
/// </summary>
internal struct SplitMix
{
    private ulong _state;

    public SplitMix(int seed, int stream) => _state = ((ulong)(uint)seed << 32) ^ (ulong)(uint)stream ^ 0x9E3779B97F4A7C15UL;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    public int NextInt(int exclusiveMax) => (int)(NextDouble() * exclusiveMax);
}

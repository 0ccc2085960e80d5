namespace CartRecovery.Grains.Scoring;

/// <summary>Scores abandonment risk (probability the cart will not convert) from a <see cref="FeatureSet"/> vector, in process and without I/O.</summary>
public interface IRiskScorer
{
    string Version { get; }

    double Score(ReadOnlySpan<float> features);
}

/// <summary>Holds the scorer in use; swapping it is atomic and every later score uses the new one.</summary>
public sealed class ScorerProvider(IRiskScorer initial)
{
    private volatile IRiskScorer _current = initial;

    public IRiskScorer Current => _current;

    public void Swap(IRiskScorer next) => _current = next;
}

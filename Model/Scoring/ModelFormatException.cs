namespace CartRecovery.Model.Scoring;

/// <summary>A model file that cannot be trusted: unreadable, truncated, tampered with, or of an unknown format.</summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string message)
        : base(message)
    {
    }

    public ModelFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

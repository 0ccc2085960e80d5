namespace CartRecovery.Model.Onnx;

/// <summary>A model that cannot be served: unreadable, truncated, tampered with, not ONNX, or with inputs and outputs other than a binary classifier over one float tensor.</summary>
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

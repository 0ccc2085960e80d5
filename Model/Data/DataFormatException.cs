namespace CartRecovery.Model.Data;

/// <summary>Input data that cannot be used as it is; the message names the file, row and column.</summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string message)
        : base(message)
    {
    }

    public DataFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

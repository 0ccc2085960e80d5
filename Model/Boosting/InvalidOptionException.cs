namespace CartRecovery.Model.Boosting;

/// <summary>A training option that does not parse or is out of range. <see cref="Message"/> starts with the option's key.</summary>
public sealed class InvalidOptionException(string key, string message) : ArgumentException(message, key)
{
    public string Key { get; } = key;

    /// <summary>The message alone, without ArgumentException's "(Parameter ...)" suffix, so it can be shown as it is.</summary>
    public override string Message { get; } = message;
}

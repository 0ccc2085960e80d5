using Microsoft.Extensions.Options;

namespace CartRecovery.Kafka.Configuration;

/// <summary>Lets hosts fail at startup on a bad "Kafka" section instead of at the first broker call.</summary>
public sealed class KafkaOptionsValidator : IValidateOptions<KafkaOptions>
{
    public ValidateOptionsResult Validate(string? name, KafkaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.GetValidationErrors();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

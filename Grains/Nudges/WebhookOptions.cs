namespace CartRecovery.Grains.Nudges;

/// <summary>Off-site nudges go to the store's messaging tool as signed webhooks (section <c>Webhook</c>).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhook";

    /// <summary>Receiver URL. Empty: no off-site channel, abandoned carts of absent shoppers are not nudged.</summary>
    public string? Url { get; set; }

    /// <summary>HMAC-SHA256 key for the signature header. Required when <see cref="Url"/> is set.</summary>
    public string? Secret { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    public int MaxAttempts { get; set; } = 5;

    /// <summary>First retry delay; later ones back off exponentially with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Deliveries in flight at once (each with its retries); more wait their turn.</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>
    /// How often a cart re-sends webhook nudges still in its outbox (a delivery lost to a crash or
    /// restart, or one that found the send queue full). At least one second.
    /// </summary>
    public TimeSpan RedeliverAfter { get; set; } = TimeSpan.FromMinutes(1);

    public bool Enabled => !string.IsNullOrWhiteSpace(Url);

    public void Validate()
    {
        if (Enabled && !Uri.TryCreate(Url, UriKind.Absolute, out _))
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(WebhookOptions), [$"{Section}:Url is not an absolute URL"]);
        }

        if (Enabled && string.IsNullOrEmpty(Secret))
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(WebhookOptions), [$"{Section}:Secret is required when {Section}:Url is set (webhooks are always signed)"]);
        }

        if (MaxAttempts is < 1 or > 20)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(WebhookOptions), [$"{Section}:MaxAttempts must be between 1 and 20"]);
        }

        if (MaxConcurrency is < 1 or > 1024)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(WebhookOptions), [$"{Section}:MaxConcurrency must be between 1 and 1024"]);
        }

        if (RedeliverAfter < TimeSpan.FromSeconds(1) || RedeliverAfter > TimeSpan.FromDays(1))
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(WebhookOptions), [$"{Section}:RedeliverAfter must be between 00:00:01 and 1.00:00:00"]);
        }
    }
}

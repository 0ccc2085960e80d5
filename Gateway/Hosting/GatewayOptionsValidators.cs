using System.Net;
using System.Text;
using CartRecovery.Gateway.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CartRecovery.Gateway.Hosting;

/// <summary>
/// The gateway's option validators: each names every bad key with its section, one line per
/// problem, and runs at start (<c>ValidateOnStart</c>), so a misconfigured process stops before
/// it listens instead of answering 500.
/// </summary>
internal abstract class GatewayOptionsValidator<T> : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var problems = ProblemsOf(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    protected abstract IEnumerable<string> ProblemsOf(T options);
}

internal sealed class HttpOptionsValidator : GatewayOptionsValidator<HttpOptions>
{
    public static IEnumerable<string> Problems(HttpOptions o)
    {
        const string s = HttpOptions.Section;
        if (o.Port is < 0 or > 65535)
        {
            yield return $"{s}:Port must be between 0 and 65535";
        }

        for (var i = 0; i < o.TrustedProxies.Length; i++)
        {
            if (!TryParseNetwork(o.TrustedProxies[i], out _))
            {
                yield return $"{s}:TrustedProxies:{i} ('{o.TrustedProxies[i]}') is not an IP address or a network such as 10.0.0.0/8";
            }
        }
    }

    /// <summary>An address (a network of one) or a CIDR network.</summary>
    public static bool TryParseNetwork(string? value, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        if (IPAddress.TryParse(value, out var address))
        {
            network = new IPNetwork(address, address.GetAddressBytes().Length * 8);
            return true;
        }

        return IPNetwork.TryParse(value, out network);
    }

    protected override IEnumerable<string> ProblemsOf(HttpOptions options) => Problems(options);
}

internal sealed class CorsOptionsValidator : GatewayOptionsValidator<CorsOptions>
{
    protected override IEnumerable<string> ProblemsOf(CorsOptions o)
    {
        for (var i = 0; i < o.AllowedOrigins.Length; i++)
        {
            var origin = o.AllowedOrigins[i];
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/" || origin.EndsWith('/'))
            {
                yield return $"{CorsOptions.Section}:AllowedOrigins:{i} ('{origin}') must be an origin such as https://shop.example (scheme, host, optional port; no path)";
            }
        }
    }
}

/// <summary>
/// Secrets are required outside Development (there a per-process signing key and a documented
/// admin password stand in); keys are long enough and differ, so a store backend holding the
/// shopper-token key can never sign an admin token.
/// </summary>
internal sealed class AuthOptionsValidator(IHostEnvironment environment) : GatewayOptionsValidator<AuthOptions>
{
    public const int MinKeyBytes = 32;
    public const int MinPasswordLength = 12;

    protected override IEnumerable<string> ProblemsOf(AuthOptions o)
    {
        const string s = AuthOptions.Section;
        var production = !environment.IsDevelopment();
        if (string.IsNullOrEmpty(o.SigningKey))
        {
            if (production)
            {
                yield return $"{s}:SigningKey is required outside Development (at least {MinKeyBytes} bytes)";
            }
        }
        else if (Encoding.UTF8.GetByteCount(o.SigningKey) < MinKeyBytes)
        {
            yield return $"{s}:SigningKey must be at least {MinKeyBytes} bytes";
        }

        if (!string.IsNullOrEmpty(o.ShopperTokenKey))
        {
            if (Encoding.UTF8.GetByteCount(o.ShopperTokenKey) < MinKeyBytes)
            {
                yield return $"{s}:ShopperTokenKey must be at least {MinKeyBytes} bytes";
            }

            if (o.ShopperTokenKey == o.SigningKey)
            {
                yield return $"{s}:ShopperTokenKey must differ from {s}:SigningKey (store backends hold it; it must not sign admin tokens)";
            }
        }

        if (string.IsNullOrEmpty(o.AdminUser))
        {
            yield return $"{s}:AdminUser must not be empty";
        }

        if (string.IsNullOrEmpty(o.AdminPassword) && string.IsNullOrEmpty(o.AdminPasswordHash))
        {
            if (production)
            {
                yield return $"{s}:AdminPassword or {s}:AdminPasswordHash is required outside Development; there is no default password";
            }
        }
        else if (!string.IsNullOrEmpty(o.AdminPasswordHash) && !PasswordHasher.IsHash(o.AdminPasswordHash))
        {
            yield return $"{s}:AdminPasswordHash is not a hash of PasswordHasher.Hash (pbkdf2-sha256$iterations$salt$hash)";
        }
        else if (string.IsNullOrEmpty(o.AdminPasswordHash) && o.AdminPassword!.Length < MinPasswordLength && production)
        {
            yield return $"{s}:AdminPassword must be at least {MinPasswordLength} characters";
        }

        for (var i = 0; i < o.Users.Count; i++)
        {
            var user = o.Users[i];
            if (string.IsNullOrEmpty(user.Name))
            {
                yield return $"{s}:Users:{i}:Name must not be empty";
            }

            if (user.Role is not ("admin" or "viewer"))
            {
                yield return $"{s}:Users:{i}:Role ('{user.Role}') must be admin or viewer";
            }

            if (!PasswordHasher.IsHash(user.PasswordHash))
            {
                yield return $"{s}:Users:{i}:PasswordHash is not a hash of PasswordHasher.Hash (pbkdf2-sha256$iterations$salt$hash)";
            }
        }

        foreach (var (key, value) in new[] { ("AdminTokenLifetime", o.AdminTokenLifetime), ("ShopperTokenLifetime", o.ShopperTokenLifetime) })
        {
            if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(30))
            {
                yield return $"{s}:{key} must be more than zero and at most 30 days";
            }
        }

        if (o.ShopperTokenRenewalWindow < TimeSpan.Zero || o.ShopperTokenRenewalWindow > TimeSpan.FromDays(30))
        {
            yield return $"{s}:ShopperTokenRenewalWindow must be between zero and 30 days";
        }
    }
}

internal sealed class LimitsOptionsValidator : GatewayOptionsValidator<LimitsOptions>
{
    protected override IEnumerable<string> ProblemsOf(LimitsOptions o)
    {
        foreach (var (key, value, max) in new (string, int, int)[]
        {
            (nameof(o.EventsPerShopperPerSecond), o.EventsPerShopperPerSecond, int.MaxValue / 10),
            (nameof(o.RequestsPerIpPerSecond), o.RequestsPerIpPerSecond, int.MaxValue),
            (nameof(o.VisitorTokensPerIpPerMinute), o.VisitorTokensPerIpPerMinute, int.MaxValue),
            (nameof(o.LoginAttemptsPerUserPerMinute), o.LoginAttemptsPerUserPerMinute, int.MaxValue),
            (nameof(o.LoginAttemptsPerIpPerMinute), o.LoginAttemptsPerIpPerMinute, int.MaxValue),
            (nameof(o.HubConnectionsPerShopper), o.HubConnectionsPerShopper, int.MaxValue),
            (nameof(o.HubConnectionsPerIp), o.HubConnectionsPerIp, int.MaxValue),
            (nameof(o.MaxHubMessageBytes), o.MaxHubMessageBytes, 16 * 1024 * 1024),
            (nameof(o.HubViolationsBeforeDisconnect), o.HubViolationsBeforeDisconnect, int.MaxValue),
            (nameof(o.IngestConcurrency), o.IngestConcurrency, 100_000),
            (nameof(o.IngestQueue), o.IngestQueue, 1_000_000),
        })
        {
            if (value < 1 || value > max)
            {
                yield return $"{LimitsOptions.Section}:{key} must be between 1 and {max}";
            }
        }
    }
}

/// <summary>
/// Validates the gateway's options now, all of them, for code that needs them before the host
/// starts (mapping the hubs reads the hub options, which read <see cref="LimitsOptions"/>): every
/// problem is reported, not the first options type's only.
/// </summary>
internal static class GatewayOptionsValidation
{
    public static void ThrowIfInvalid(IServiceProvider services)
    {
        var failures = new List<OptionsValidationException>();
        foreach (var read in new Func<object>[]
        {
            () => services.GetRequiredService<IOptions<HttpOptions>>().Value,
            () => services.GetRequiredService<IOptions<AuthOptions>>().Value,
            () => services.GetRequiredService<IOptions<CorsOptions>>().Value,
            () => services.GetRequiredService<IOptions<LimitsOptions>>().Value,
        })
        {
            try
            {
                read();
            }
            catch (OptionsValidationException e)
            {
                failures.Add(e);
            }
        }

        if (failures.Count == 1)
        {
            throw failures[0];
        }

        if (failures.Count > 1)
        {
            throw new AggregateException("invalid configuration", failures);
        }
    }
}

/// <summary>What start-up reports when options are invalid: one line per problem, no stack trace.</summary>
public static class OptionsProblems
{
    /// <summary>
    /// The problems behind a start-up failure (an <see cref="OptionsValidationException"/>, or
    /// several in an <see cref="AggregateException"/>); empty when it was something else.
    /// </summary>
    public static IReadOnlyList<string> Of(Exception exception) => exception switch
    {
        OptionsValidationException e => e.Failures.ToList(),
        AggregateException a when a.InnerExceptions.All(i => Of(i).Count > 0) => a.InnerExceptions.SelectMany(Of).ToList(),
        _ => [],
    };
}

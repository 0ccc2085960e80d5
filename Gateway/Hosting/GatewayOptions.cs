namespace CartRecovery.Gateway.Hosting;

/// <summary>Listening ports (section <c>Http</c>).</summary>
public sealed class HttpOptions
{
    public const string Section = "Http";

    /// <summary>Public port: API, hubs, dashboard, health, metrics. Default 8080; 0 picks a free port.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>Silo-internal port that gateways forward grain requests to. Default 8081; 0 picks a free port.</summary>
    public int InternalPort { get; set; } = 8081;

    /// <summary>Address to bind. Default all interfaces.</summary>
    public string Host { get; set; } = "0.0.0.0";

    /// <summary>URL other processes use to reach this silo's internal port (default: derived from the host name).</summary>
    public string? InternalUrl { get; set; }

    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new InvalidOperationException($"{Section}:Port must be between 0 and 65535");
        }

        if (InternalPort is < 0 or > 65535)
        {
            throw new InvalidOperationException($"{Section}:InternalPort must be between 0 and 65535");
        }
    }
}

/// <summary>Browser origins allowed to call the API and hubs (section <c>Cors</c>).</summary>
public sealed class CorsOptions
{
    public const string Section = "Cors";

    public string[] AllowedOrigins { get; set; } = [];
}

/// <summary>Authentication (section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>HMAC key signing admin and shopper tokens (at least 32 bytes). Required outside Development.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Name of the first admin.</summary>
    public string AdminUser { get; set; } = "admin";

    /// <summary>The first admin's password (or use <see cref="AdminPasswordHash"/>). Required outside Development.</summary>
    public string? AdminPassword { get; set; }

    /// <summary>PBKDF2 hash of the first admin's password (format of <c>PasswordHasher.Hash</c>).</summary>
    public string? AdminPasswordHash { get; set; }

    /// <summary>More users: name, role (admin|viewer) and password hash.</summary>
    public List<UserEntry> Users { get; set; } = new();

    /// <summary>Key store backends use to mint shopper tokens themselves (optional).</summary>
    public string? ShopperTokenKey { get; set; }

    /// <summary>API key for server-to-server ingestion (header X-Api-Key). Empty: only shopper tokens may post events.</summary>
    public string? IngestKey { get; set; }

    public TimeSpan AdminTokenLifetime { get; set; } = TimeSpan.FromHours(8);

    public TimeSpan ShopperTokenLifetime { get; set; } = TimeSpan.FromDays(1);

    public sealed class UserEntry
    {
        public string Name { get; set; } = "";

        public string Role { get; set; } = "viewer";

        public string PasswordHash { get; set; } = "";
    }
}

/// <summary>Abuse limits for untrusted clients (section <c>Limits</c>).</summary>
public sealed class LimitsOptions
{
    public const string Section = "Limits";

    /// <summary>Events per second per shopper (sustained), HTTP and hub together.</summary>
    public int EventsPerShopperPerSecond { get; set; } = 20;

    /// <summary>Requests per second per client IP on public endpoints.</summary>
    public int RequestsPerIpPerSecond { get; set; } = 200;

    /// <summary>Largest hub message accepted; bigger ones close the connection.</summary>
    public int MaxHubMessageBytes { get; set; } = 32 * 1024;

    /// <summary>Hub calls refused by the rate limit before the connection is cut.</summary>
    public int HubViolationsBeforeDisconnect { get; set; } = 50;
}

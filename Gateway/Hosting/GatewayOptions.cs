namespace CartRecovery.Gateway.Hosting;

/// <summary>The public listener (section <c>Http</c>), used when ASP.NET Core's own URLs are not given.</summary>
public sealed class HttpOptions
{
    public const string Section = "Http";

    /// <summary>Public port: API, hubs, dashboard, health, metrics. Default 8080; 0 picks a free port.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>Address to bind. Default all interfaces.</summary>
    public string Host { get; set; } = "0.0.0.0";

    /// <summary>
    /// Reverse proxies (addresses, or networks as <c>10.0.0.0/8</c>) whose X-Forwarded-For and
    /// X-Forwarded-Proto are believed. Default none: the socket's peer is the client, and per-IP
    /// limits key on it. Behind an ingress, list the ingress here or every client shares its address.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>
    /// The listener's own settings, for the host that binds the port before options are validated;
    /// everything (this included) is validated at start by <see cref="HttpOptionsValidator"/>.
    /// </summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new InvalidOperationException($"{Section}:Port must be between 0 and 65535");
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

    /// <summary>
    /// Key store backends use to mint shopper tokens themselves (optional, at least 32 bytes, not
    /// the <see cref="SigningKey"/>). A token signed with it is a shopper token whatever it claims.
    /// </summary>
    public string? ShopperTokenKey { get; set; }

    /// <summary>API key for server-to-server ingestion (header X-Api-Key). Empty: only shopper tokens may post events.</summary>
    public string? IngestKey { get; set; }

    public TimeSpan AdminTokenLifetime { get; set; } = TimeSpan.FromHours(8);

    public TimeSpan ShopperTokenLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long after it expired a shopper token issued here still renews (POST /v1/shopper-token). Default 24 h.</summary>
    public TimeSpan ShopperTokenRenewalWindow { get; set; } = TimeSpan.FromHours(24);

    public sealed class UserEntry
    {
        public string Name { get; set; } = "";

        public string Role { get; set; } = "viewer";

        public string PasswordHash { get; set; } = "";
    }
}

/// <summary>
/// Abuse limits for untrusted clients (section <c>Limits</c>). Client addresses are the socket's
/// peer, or X-Forwarded-For from <see cref="HttpOptions.TrustedProxies"/>.
/// </summary>
public sealed class LimitsOptions
{
    public const string Section = "Limits";

    /// <summary>
    /// Events per second a shopper's browser may send (sustained), shopper-token HTTP and hub together;
    /// a burst of ten seconds' worth. Every event costs one, so a batch larger than the burst is refused
    /// whole. Store-backend batches (ingest key) are not counted here.
    /// </summary>
    public int EventsPerShopperPerSecond { get; set; } = 20;

    /// <summary>Requests per second per client IP on public endpoints.</summary>
    public int RequestsPerIpPerSecond { get; set; } = 200;

    /// <summary>New anonymous visitor tokens per client IP per minute (POST /v1/shopper-token without a token); renewals are not counted.</summary>
    public int VisitorTokensPerIpPerMinute { get; set; } = 30;

    /// <summary>Login attempts per user name per minute, whatever the client.</summary>
    public int LoginAttemptsPerUserPerMinute { get; set; } = 10;

    /// <summary>Login attempts per client IP per minute, whatever the user name.</summary>
    public int LoginAttemptsPerIpPerMinute { get; set; } = 30;

    /// <summary>Open shopper hub connections per shopper (browser tabs).</summary>
    public int HubConnectionsPerShopper { get; set; } = 20;

    /// <summary>Open shopper hub connections per client IP.</summary>
    public int HubConnectionsPerIp { get; set; } = 500;

    /// <summary>Largest hub message accepted; bigger ones close the connection.</summary>
    public int MaxHubMessageBytes { get; set; } = 32 * 1024;

    /// <summary>Hub calls refused by the rate limit before the connection is cut.</summary>
    public int HubViolationsBeforeDisconnect { get; set; } = 50;

    /// <summary>
    /// Event batches (POST /v1/events) this gateway parses and applies at once. More wait in line
    /// in arrival order, holding only their bytes (a body is read in full first, so a slow sender
    /// holds no place): hundreds of waiting batches do not sit parsed in memory.
    /// </summary>
    public int IngestConcurrency { get; set; } = 64;

    /// <summary>Event batches that may wait for <see cref="IngestConcurrency"/>, each holding its body (at most <c>EventValidator.MaxBodyBytes</c>); beyond, a batch is refused with 503 and Retry-After.</summary>
    public int IngestQueue { get; set; } = 512;
}

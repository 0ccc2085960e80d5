using CartRecovery.Gateway.Hosting;

namespace CartRecovery.Gateway.Auth;

/// <summary>Dashboard users from configuration: the first admin plus any listed users (password hashes only).</summary>
public sealed class UserDirectory
{
    private readonly Dictionary<string, (string Role, string Hash)> _users = new(StringComparer.Ordinal);

    public UserDirectory(AuthOptions options, bool development)
    {
        var adminHash = options.AdminPasswordHash
            ?? (options.AdminPassword is { Length: > 0 } pw ? PasswordHasher.Hash(pw) : null);
        if (adminHash is null)
        {
            if (!development)
            {
                throw new InvalidOperationException($"{AuthOptions.Section}:AdminPassword or {AuthOptions.Section}:AdminPasswordHash is required outside Development; there is no default password");
            }

            // Development only, documented in the README.
            adminHash = PasswordHasher.Hash("admin-dev-password");
        }

        if (options.AdminPassword is { Length: > 0 and < 12 } && !development)
        {
            throw new InvalidOperationException($"{AuthOptions.Section}:AdminPassword must be at least 12 characters");
        }

        _users[options.AdminUser] = ("admin", adminHash);
        foreach (var user in options.Users)
        {
            if (user.Role is not ("admin" or "viewer"))
            {
                throw new InvalidOperationException($"{AuthOptions.Section}:Users: role of '{user.Name}' must be admin or viewer");
            }

            _users[user.Name] = (user.Role, user.PasswordHash);
        }
    }

    /// <summary>The user's role when the password matches.</summary>
    public string? Authenticate(string user, string password) =>
        _users.TryGetValue(user, out var entry) && PasswordHasher.Verify(password, entry.Hash) ? entry.Role : null;
}

using CartRecovery.Gateway.Hosting;

namespace CartRecovery.Gateway.Auth;

/// <summary>
/// Dashboard users from configuration: the first admin plus any listed users (password hashes
/// only). The options are checked at start (<see cref="AuthOptionsValidator"/>).
/// </summary>
public sealed class UserDirectory
{
    /// <summary>The Development admin password when none is configured (documented in the README).</summary>
    public const string DevelopmentAdminPassword = "admin-dev-password";

    private readonly Dictionary<string, (string Role, string Hash)> _users = new(StringComparer.Ordinal);

    /// <summary>
    /// What an unknown user's password is checked against: a name that does not exist costs the
    /// same PBKDF2 work as a wrong password, so timing tells an attacker nothing about user names.
    /// </summary>
    private readonly string _dummyHash = PasswordHasher.Hash(Guid.NewGuid().ToString("N"));

    public UserDirectory(AuthOptions options, bool development)
    {
        var adminHash = options.AdminPasswordHash is { Length: > 0 } hash ? hash
            : options.AdminPassword is { Length: > 0 } pw ? PasswordHasher.Hash(pw)
            : development ? PasswordHasher.Hash(DevelopmentAdminPassword)
            : throw new InvalidOperationException($"{AuthOptions.Section}:AdminPassword or {AuthOptions.Section}:AdminPasswordHash is required outside Development; there is no default password");
        _users[options.AdminUser] = ("admin", adminHash);
        foreach (var user in options.Users)
        {
            _users[user.Name] = (user.Role, user.PasswordHash);
        }
    }

    /// <summary>The user's role when the password matches.</summary>
    public string? Authenticate(string user, string password)
    {
        if (!_users.TryGetValue(user, out var entry))
        {
            PasswordHasher.Verify(password, _dummyHash);
            return null;
        }

        return PasswordHasher.Verify(password, entry.Hash) ? entry.Role : null;
    }
}

using System.Security.Cryptography;
using System.Text;

namespace CartRecovery.Gateway.Auth;

/// <summary>PBKDF2-SHA256 password hashes: "pbkdf2-sha256$iterations$salt$hash" (base64 parts).</summary>
public static class PasswordHasher
{
    private const int Iterations = 100_000;
    private const int MinIterations = 10_000;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>Whether <paramref name="encoded"/> is a hash in the format of <see cref="Hash"/>.</summary>
    public static bool IsHash(string? encoded) => Parse(encoded) is not null;

    public static bool Verify(string password, string encoded)
    {
        if (Parse(encoded) is not var (iterations, salt, expected))
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static (int Iterations, byte[] Salt, byte[] Hash)? Parse(string? encoded)
    {
        var parts = encoded?.Split('$');
        if (parts is not { Length: 4 } || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var iterations) || iterations is < MinIterations or > 10_000_000)
        {
            return null;
        }

        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var hash = Convert.FromBase64String(parts[3]);
            return salt.Length > 0 && hash.Length >= 16 ? (iterations, salt, hash) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

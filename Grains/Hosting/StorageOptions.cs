namespace CartRecovery.Grains.Hosting;

/// <summary>Which storage provider holds grain state (configuration section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary><c>Sqlite</c> (embedded default) or <c>Postgres</c>.</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>
    /// Connection string. For SQLite the default is a file under the working directory
    /// (<c>Data Source=.data/cartrecovery.db</c>); PostgreSQL requires one.
    /// </summary>
    public string? ConnectionString { get; set; }

    public bool IsPostgres => string.Equals(Provider, "Postgres", StringComparison.OrdinalIgnoreCase) || string.Equals(Provider, "PostgreSQL", StringComparison.OrdinalIgnoreCase);

    public bool IsSqlite => string.Equals(Provider, "Sqlite", StringComparison.OrdinalIgnoreCase);

    public string SqliteConnectionString => ConnectionString is { Length: > 0 } cs ? cs : "Data Source=.data/cartrecovery.db";

    /// <summary>
    /// Creates the folder of the SQLite file (by default <c>.data/</c> under the working directory):
    /// the model registry and the grain storage open it at start, whichever comes first.
    /// </summary>
    public void EnsureSqliteDirectory()
    {
        if (!IsSqlite)
        {
            return;
        }

        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(SqliteConnectionString).DataSource;
        if (file.Length > 0 && file != ":memory:" && Path.GetDirectoryName(Path.GetFullPath(file)) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }
    }

    public void Validate()
    {
        if (!IsPostgres && !IsSqlite)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(StorageOptions), [$"{Section}:Provider must be 'Sqlite' or 'Postgres' (got '{Provider}')"]);
        }

        if (IsPostgres && string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(StorageOptions), [$"{Section}:ConnectionString is required when {Section}:Provider is Postgres"]);
        }
    }
}

namespace CartRecovery.TestSupport;

/// <summary>Locates the real storefront event logs kept beside the repository (../shared/data).</summary>
public static class SharedData
{
    public static string Rees46 => Find(Path.Combine("rees46-multicategory-2019oct-head", "events-train.csv.gz"));

    public static string Retailrocket => Find(Path.Combine("retailrocket-subset", "events-train.csv.gz"));

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CartRecovery.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("CartRecovery.sln not found above " + AppContext.BaseDirectory);
        }
    }

    private static string Find(string relative)
    {
        var env = Environment.GetEnvironmentVariable("CARTRECOVERY_DATA");
        var root = env is { Length: > 0 } ? env : Path.Combine(RepoRoot, "..", "shared", "data");
        var path = Path.GetFullPath(Path.Combine(root, relative));
        return File.Exists(path) ? path : throw new FileNotFoundException("shared data file missing (set CARTRECOVERY_DATA)", path);
    }
}

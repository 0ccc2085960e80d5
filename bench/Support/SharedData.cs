namespace CartRecovery.Bench.Support;

/// <summary>Locates the shared data sets next to the repository (../shared/data).</summary>
internal static class SharedData
{
    public const string Rees46Relative = "rees46-multicategory-2019oct-head/events-train.csv.gz";

    public static string Rees46() => Find(Rees46Relative);

    public static string Find(string relative)
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "..", "shared", "data", relative);
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }

            candidate = Path.Combine(dir.FullName, "shared", "data", relative);
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "..", "shared", "data", relative);
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        throw new FileNotFoundException($"shared data file {relative} not found above {Directory.GetCurrentDirectory()} (expected ../shared/data/{relative} from the repository root)");
    }
}

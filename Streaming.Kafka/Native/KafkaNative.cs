using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace CartRecovery.Streaming.Kafka.Native;

/// <summary>
/// Binds Confluent.Kafka and our own mock-cluster P/Invokes to the librdkafka that ships in the
/// <c>librdkafka.redist</c> package, whatever the operating system has installed.
/// </summary>
/// <remarks>
/// Where Debian's <c>librdkafka1</c> (2.0.2) is installed, Confluent.Kafka 2.16 would bind some imports to it and
/// fail on entry points 2.0.2 lacks. On glibc x64 the redist's plain <c>librdkafka.so</c> needs <c>libsasl2.so.3</c>,
/// which Debian 12 does not have; its <c>centos8-librdkafka.so</c> needs nothing missing, so it is tried first.
/// </remarks>
public static class KafkaNative
{
    /// <summary>Overrides the library path (a file), for hosts that must use another build.</summary>
    public const string PathEnvironmentVariable = "CARTRECOVERY_LIBRDKAFKA";

    /// <summary>The import name of our own P/Invokes (<see cref="LibRdKafka"/>); resolved to the same handle.</summary>
    internal const string ImportName = "librdkafka";

    // Every name Confluent.Kafka imports the library under (NativeMethods, _Centos8, _Alpine).
    private static readonly string[] ConfluentImportNames = ["librdkafka", "centos8-librdkafka", "alpine-librdkafka"];

    private static readonly Lock Gate = new();
    private static nint _handle;
    private static string? _path;
    private static volatile bool _loaded;

    /// <summary>The file loaded, once <see cref="EnsureLoaded"/> has run.</summary>
    public static string? LibraryPath => _path;

    /// <summary>Loads librdkafka once; safe from any thread, any number of times. Call before any Confluent.Kafka use.</summary>
    public static void EnsureLoaded()
    {
        if (_loaded)
        {
            return;
        }

        lock (Gate)
        {
            if (_loaded)
            {
                return;
            }

            var tried = new List<string>();
            foreach (var candidate in Candidates())
            {
                tried.Add(candidate);
                if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
                {
                    _handle = handle;
                    _path = candidate;
                    break;
                }
            }

            if (_handle == 0)
            {
                throw new DllNotFoundException(
                    "librdkafka from the librdkafka.redist package was not found or could not be loaded (tried " +
                    string.Join(", ", tried) + $"). Restore the package, or point {PathEnvironmentVariable} at a librdkafka 2.16 build.");
            }

            NativeLibrary.SetDllImportResolver(typeof(Library).Assembly, ResolveConfluent);
            NativeLibrary.SetDllImportResolver(typeof(KafkaNative).Assembly, ResolveOwn);
            _loaded = true;
        }
    }

    /// <summary>librdkafka's version string, e.g. "2.16.0".</summary>
    public static string Version
    {
        get
        {
            EnsureLoaded();
            return Library.VersionString;
        }
    }

    private static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable(PathEnvironmentVariable) is { Length: > 0 } explicitPath)
        {
            yield return explicitPath;
            yield break;
        }

        var rid = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "linux-x64",
            Architecture.Arm64 => "linux-arm64",
            _ => null,
        };
        if (!OperatingSystem.IsLinux() || rid is null)
        {
            yield break;
        }

        // A portable build keeps the redist's runtimes/ tree; a RID-specific publish flattens it next to the app.
        foreach (var dir in new[] { Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native"), AppContext.BaseDirectory })
        {
            yield return Path.Combine(dir, "centos8-librdkafka.so");
            yield return Path.Combine(dir, "librdkafka.so");
        }
    }

    private static nint ResolveConfluent(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        Array.IndexOf(ConfluentImportNames, name) >= 0 ? _handle : 0;

    private static nint ResolveOwn(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == ImportName ? _handle : 0;
}

using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace CartRecovery.Kafka.Native;

/// <summary>
/// Binds Confluent.Kafka and our own mock-cluster P/Invokes to the operating system's librdkafka.
/// The NuGet redist package is not available to us, so without this Confluent.Kafka would look for a
/// bundled copy that does not exist.
/// </summary>
public static class KafkaNative
{
    /// <summary>Soname of the Debian package <c>librdkafka1</c>.</summary>
    public const string DefaultLibrary = "librdkafka.so.1";

    /// <summary>Overrides the library path, for hosts whose librdkafka lives outside the loader's search path.</summary>
    public const string PathEnvironmentVariable = "CARTRECOVERY_LIBRDKAFKA";

    private static readonly Lock Gate = new();
    private static nint _handle;
    private static volatile bool _loaded;

    /// <summary>The resolved library path (or soname) in use once <see cref="EnsureLoaded"/> has run.</summary>
    public static string LibraryPath =>
        Environment.GetEnvironmentVariable(PathEnvironmentVariable) is { Length: > 0 } p ? p : DefaultLibrary;

    /// <summary>Loads librdkafka once; safe to call from any thread, any number of times.</summary>
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

            var path = LibraryPath;
            if (!NativeLibrary.TryLoad(path, out var handle))
            {
                throw new DllNotFoundException(
                    $"librdkafka could not be loaded from '{path}'. Install the OS package (apt-get install librdkafka-dev) " +
                    $"or point {PathEnvironmentVariable} at librdkafka.so.1.");
            }

            if (_handle == 0)
            {
                // Our P/Invokes name the soname; route them to the same library Confluent.Kafka loads so
                // both sides share one copy (a mock cluster needs an rd_kafka_t from that copy).
                _handle = handle;
                NativeLibrary.SetDllImportResolver(typeof(KafkaNative).Assembly, Resolve);

                // Confluent.Kafka 1.9 imports dlopen from "libdl", a name only the glibc dev package provides;
                // since glibc 2.34 the runtime library is libdl.so.2 (or libc itself).
                NativeLibrary.SetDllImportResolver(typeof(Library).Assembly, ResolveLibdl);
            }

            Library.Load(path);
            _loaded = true;
        }
    }

    /// <summary>librdkafka's version string, e.g. "2.0.2".</summary>
    public static string Version
    {
        get
        {
            EnsureLoaded();
            return Library.VersionString;
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == DefaultLibrary ? _handle : 0;

    private static nint ResolveLibdl(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != "libdl")
        {
            return 0;
        }

        foreach (var candidate in (ReadOnlySpan<string>)["libdl.so.2", "libc.so.6", "libdl.so"])
        {
            if (NativeLibrary.TryLoad(candidate, out var libdl))
            {
                return libdl;
            }
        }

        return 0;
    }
}

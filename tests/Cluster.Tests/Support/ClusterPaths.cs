using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CartRecovery.TestSupport;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>Where the binaries under test live: the same configuration (Debug/Release) this assembly was built in.</summary>
internal static class ClusterPaths
{
    private static readonly SemaphoreSlim BuildGate = new(1, 1);

    /// <summary>bin/&lt;Configuration&gt;/&lt;framework&gt;/ of this test assembly.</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static string Framework => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;

    public static string SiloDll => Require(Path.Combine(SharedData.RepoRoot, "Silo", "bin", Configuration, Framework, "CartRecovery.Silo.dll"));

    public static string MockKafkaDll => Path.Combine(SharedData.RepoRoot, "tools", "MockKafka", "bin", Configuration, Framework, "CartRecovery.MockKafka.dll");

    /// <summary>The dotnet host running this test (so children use the same runtime).</summary>
    public static string Dotnet =>
        Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    /// <summary>Builds tools/MockKafka if the project reference did not (e.g. a filtered build).</summary>
    public static async Task EnsureMockKafkaBuiltAsync()
    {
        if (File.Exists(MockKafkaDll))
        {
            return;
        }

        await BuildGate.WaitAsync();
        try
        {
            if (File.Exists(MockKafkaDll))
            {
                return;
            }

            var info = new ProcessStartInfo(Dotnet) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "build", Path.Combine(SharedData.RepoRoot, "tools", "MockKafka"), "-c", Configuration, "-nologo", "-v", "q" })
            {
                info.ArgumentList.Add(a);
            }

            using var p = Process.Start(info)!;
            var output = p.StandardOutput.ReadToEndAsync();
            var error = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            if (p.ExitCode != 0 || !File.Exists(MockKafkaDll))
            {
                throw new InvalidOperationException($"building tools/MockKafka failed ({p.ExitCode}):\n{await output}\n{await error}");
            }
        }
        finally
        {
            BuildGate.Release();
        }
    }

    /// <summary>A TCP port free right now on 127.0.0.1.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Require(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException("build the solution first (the test project references Silo)", path);
}

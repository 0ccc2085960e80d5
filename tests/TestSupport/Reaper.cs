using System.Diagnostics;
using System.Runtime.InteropServices;

namespace CartRecovery.TestSupport;

/// <summary>
/// A shell that waits for EOF on a pipe only this process holds, then SIGKILLs one process: if the
/// test host dies (crash, abort, timeout kill), nothing it started keeps running. Disposing it
/// normally stops the shell without letting it act (the pid may be reused by then).
/// </summary>
public sealed class Reaper : IDisposable
{
    private readonly Process? _shell;

    public Reaper(int pid)
    {
        try
        {
            var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add($"cat >/dev/null; kill -9 {pid} 2>/dev/null");
            _shell = Process.Start(info);
        }
        catch (Exception)
        {
            _shell = null;
        }
    }

    public void Dispose()
    {
        if (_shell is null)
        {
            return;
        }

        try
        {
            kill(_shell.Id, 9);
            _shell.WaitForExit(5000);
            _shell.StandardInput.Close();
        }
        catch (Exception)
        {
        }

        _shell.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}

using System.Runtime.InteropServices;

namespace CartRecovery.Model.Boosting;

/// <summary>
/// LightGBM parallelises with OpenMP, whose worker threads busy-wait between parallel regions by default. When the
/// cores are shared (a silo serving grains while it trains, or a busy machine) spinning workers starve everything
/// else and themselves: in one run on this project's 2-core machine under load, XGBoost (also OpenMP) took 85 s to
/// train with spinning waits and 8.6 s with passive ones. libgomp reads OMP_WAIT_POLICY once, when LightGBM's
/// native library loads it, and .NET's Environment.SetEnvironmentVariable does not reach the native environment on
/// Linux, so the policy is set with libc's setenv before the first training. An operator's own setting wins.
/// </summary>
internal static class OpenMpWaitPolicy
{
    private const string Variable = "OMP_WAIT_POLICY";

    private static int _applied;

    public static void PreferPassive()
    {
        if (Interlocked.Exchange(ref _applied, 1) == 1 || !OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable(Variable) is { Length: > 0 })
        {
            return;
        }

        // overwrite = 0: never replace a value set natively by the host process.
        _ = SetEnv(Variable, "PASSIVE", 0);
    }

#pragma warning disable SYSLIB1054 // DllImport keeps the project free of unsafe code; this runs once.
    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int SetEnv(string name, string value, int overwrite);
#pragma warning restore SYSLIB1054
}

using CartRecovery.TestSupport;

namespace CartRecovery.Deploy.Tests.Support;

/// <summary>A fact skipped (with the reason shown) when an external tool is not on PATH.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresToolFactAttribute : FactAttribute
{
    public RequiresToolFactAttribute(string tool, string install)
    {
        if (ProcessRun.FindOnPath(tool) is null)
        {
            Skip = $"{tool} is not on PATH: install it ({install}); the project's test command (test.sh) installs it";
        }
    }
}

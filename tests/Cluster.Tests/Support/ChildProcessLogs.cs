using System.Text.RegularExpressions;
using CartRecovery.TestSupport;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>Reading a silo's JSON console log (<c>"EventId":N</c>) from its captured output.</summary>
internal static partial class ChildProcessLogs
{
    /// <summary>How many of the kept log lines (<see cref="ChildProcess.MaxLines"/>) have this event id.</summary>
    public static int LoggedEventId(this ChildProcess child, int eventId) =>
        child.Lines.Count(l => EventIdPattern().Match(l) is { Success: true } m && int.TryParse(m.Groups[1].Value, out var id) && id == eventId);

    public static IEnumerable<string> LinesWithEventId(this ChildProcess child, int eventId) =>
        child.Lines.Where(l => l.Contains($"\"EventId\":{eventId},", StringComparison.Ordinal));

    [GeneratedRegex("\"EventId\":(\\d+)")]
    private static partial Regex EventIdPattern();
}

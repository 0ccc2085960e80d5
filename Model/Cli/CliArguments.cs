using System.Globalization;

namespace CartRecovery.Model.Cli;

/// <summary>"--name value" options of one subcommand; anything unknown or repeated is a usage error.</summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, string> _values;

    private CliArguments(string command, Dictionary<string, string> values)
    {
        Command = command;
        _values = values;
    }

    public string Command { get; }

    public static CliArguments Parse(string command, ReadOnlySpan<string> args, IReadOnlyCollection<string> allowed)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || !allowed.Contains(name[2..]))
            {
                throw new UsageException($"{command}: unknown option '{name}' (allowed: {string.Join(", ", allowed.Select(a => "--" + a))})");
            }

            if (i + 1 >= args.Length)
            {
                throw new UsageException($"{command}: option '{name}' needs a value");
            }

            if (!values.TryAdd(name[2..], args[++i]))
            {
                throw new UsageException($"{command}: option '{name}' given twice");
            }
        }

        return new CliArguments(command, values);
    }

    public string Required(string name) =>
        _values.TryGetValue(name, out var v) && v.Length > 0 ? v : throw new UsageException($"{Command}: --{name} is required");

    public string? Optional(string name) => _values.GetValueOrDefault(name);

    public int Int(string name, int fallback) =>
        Optional(name) is not { } v ? fallback
        : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
        : throw new UsageException($"{Command}: --{name} '{v}' is not an integer");

    public double Double(string name, double fallback) =>
        Optional(name) is not { } v ? fallback
        : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d
        : throw new UsageException($"{Command}: --{name} '{v}' is not a number");
}

/// <summary>Wrong command line; reported with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

using System.Globalization;

namespace CartRecovery.Model.Cli;

/// <summary>"--name value" options and bare "--flag"s of one subcommand; anything unknown or repeated is a usage error.</summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, string> _values;

    private CliArguments(string command, Dictionary<string, string> values)
    {
        Command = command;
        _values = values;
    }

    public string Command { get; }

    public static CliArguments Parse(string command, ReadOnlySpan<string> args, IReadOnlyCollection<string> allowed, IReadOnlyCollection<string>? flags = null)
    {
        flags ??= [];
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            var key = name.StartsWith("--", StringComparison.Ordinal) ? name[2..] : "";
            if (!allowed.Contains(key) && !flags.Contains(key))
            {
                throw new UsageException($"{command}: unknown option '{name}' (allowed: {string.Join(", ", allowed.Concat(flags).Select(a => "--" + a))})");
            }

            string value;
            if (flags.Contains(key))
            {
                value = "true";
            }
            else if (i + 1 >= args.Length)
            {
                throw new UsageException($"{command}: option '{name}' needs a value");
            }
            else
            {
                value = args[++i];
            }

            if (!values.TryAdd(key, value))
            {
                throw new UsageException($"{command}: option '{name}' given twice");
            }
        }

        return new CliArguments(command, values);
    }

    public string Required(string name) =>
        _values.TryGetValue(name, out var v) && v.Length > 0 ? v : throw new UsageException($"{Command}: --{name} is required");

    public string? Optional(string name) => _values.GetValueOrDefault(name);

    public bool Flag(string name) => _values.ContainsKey(name);

    public string[] List(string name) =>
        Optional(name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    public double Double(string name, double fallback) =>
        Optional(name) is not { } v ? fallback
        : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d
        : throw new UsageException($"{Command}: --{name} '{v}' is not a number");
}

/// <summary>Wrong command line; reported with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

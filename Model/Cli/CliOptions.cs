using System.CommandLine;
using System.Globalization;

namespace CartRecovery.Model.Cli;

/// <summary>
/// The kinds of option the model verbs take. A value that does not parse or breaks its rule is a usage error
/// (exit 2) naming the option and the reason: "--rounds 'many' is not an integer", "--learning-rate must be in (0, 1]".
/// </summary>
internal static class CliOptions
{
    public delegate bool TryParse<T>(string text, out T value);

    /// <summary>A file, column or connection string; an empty value is refused like a missing one.</summary>
    public static Option<string> Text(string name, string helpName, string description, bool required = false)
    {
        var option = new Option<string>(name) { HelpName = helpName, Description = description, Required = required };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is "")
            {
                r.AddError($"{name} needs a value");
            }
        });
        return option;
    }

    /// <summary>Comma-separated names (--ignore a,b); the option may also be given more than once.</summary>
    public static Option<string[]> List(string name, string helpName, string description) => new(name)
    {
        HelpName = helpName,
        Description = description,
        CustomParser = r => [.. r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
    };

    /// <summary>A typed value: text that <paramref name="parse"/> refuses is "NAME 'TEXT' is not KIND"; a value that breaks <paramref name="rule"/> (which returns the broken rule, or null) is "NAME RULE".</summary>
    public static Option<T> Parsed<T>(string name, string helpName, string description, TryParse<T> parse, string kind, T fallback, Func<T, string?>? rule = null)
    {
        var option = new Option<T>(name)
        {
            HelpName = helpName,
            Description = description,
            CustomParser = r =>
            {
                if (r.Tokens.Count == 0)
                {
                    return fallback;
                }

                var text = r.Tokens[^1].Value;
                if (!parse(text, out var value))
                {
                    r.AddError($"{name} '{text}' is not {kind}");
                    return fallback;
                }

                if (rule?.Invoke(value) is { } broken)
                {
                    r.AddError($"{name} {broken}");
                }

                return value;
            },
        };
        if (fallback is not null)
        {
            option.DefaultValueFactory = _ => fallback;
        }

        return option;
    }

    public static bool TryInt(string text, out int value) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);

    public static bool TryNullableInt(string text, out int? value)
    {
        var ok = TryInt(text, out var i);
        value = ok ? i : null;
        return ok;
    }

    public static bool TryDouble(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}

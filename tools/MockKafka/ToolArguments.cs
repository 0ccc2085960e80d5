using System.Globalization;

namespace CartRecovery.Tools.MockKafka;

/// <summary>Command line of the mock cluster tool.</summary>
internal sealed record ToolArguments(int Brokers, IReadOnlyList<(string Name, int Partitions)> Topics, bool WatchStdin)
{
    public const string Usage =
        "usage: CartRecovery.MockKafka [--brokers N] [--topic name:partitions]... [--ignore-stdin]\n" +
        "  Prints BOOTSTRAP=host:port,... as the first stdout line, then serves until SIGTERM/SIGINT\n" +
        "  or end of standard input (unless --ignore-stdin).";

    public static ToolArguments Parse(IReadOnlyList<string> args)
    {
        var brokers = 1;
        var topics = new List<(string, int)>();
        var watchStdin = true;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--brokers":
                    brokers = ParsePositive(Value(args, ref i), "--brokers");
                    break;
                case "--topic":
                    topics.Add(ParseTopic(Value(args, ref i)));
                    break;
                case "--ignore-stdin":
                    watchStdin = false;
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }

        return new ToolArguments(brokers, topics, watchStdin);
    }

    private static string Value(IReadOnlyList<string> args, ref int i) =>
        ++i < args.Count ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");

    private static (string, int) ParseTopic(string spec)
    {
        var colon = spec.LastIndexOf(':');
        if (colon <= 0)
        {
            throw new ArgumentException($"--topic '{spec}' is not name:partitions");
        }

        return (spec[..colon], ParsePositive(spec[(colon + 1)..], "--topic partitions"));
    }

    private static int ParsePositive(string text, string what) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{what} must be a positive integer (got '{text}')");
}

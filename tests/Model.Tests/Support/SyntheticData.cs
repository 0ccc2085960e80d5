using System.Globalization;
using System.Text;

namespace CartRecovery.Model.Tests.Support;

/// <summary>
/// Cart sessions with a known abandonment signal: the true purchase log-odds are kept per row so tests can
/// compare a model against the best achievable ranking. Includes missing values, a text and a boolean column.
/// </summary>
public sealed class SyntheticData
{
    private static readonly string[] Channels = ["email", "search", "social", "direct", "ads"];

    private SyntheticData(string csv, double[] trueLogit, float[] labels)
    {
        Csv = csv;
        TrueLogit = trueLogit;
        Labels = labels;
    }

    public string Csv { get; }

    public double[] TrueLogit { get; }

    public float[] Labels { get; }

    /// <param name="noiseOnly">Labels independent of every feature (for early-stopping tests).</param>
    public static SyntheticData Generate(int rows, int seed, bool noiseOnly = false)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder("cart_value,views,minutes,discount,channel,returning,noise1,noise2,purchased\n");
        var logits = new double[rows];
        var labels = new float[rows];
        for (var i = 0; i < rows; i++)
        {
            var cartValue = Math.Round(Math.Exp(3 + rng.NextDouble() * 3), 2);
            var views = rng.Next(1, 40);
            var minutes = Math.Round(rng.NextDouble() * 60, 1);
            var discount = rng.NextDouble() < 0.3 ? rng.Next(5, 30) : 0;
            var channel = Channels[rng.Next(Channels.Length)];
            var returning = rng.NextDouble() < 0.4;
            var noise1 = Normal(rng);
            var noise2 = rng.Next(0, 100);
            var logit = -1.0 - (0.6 * Math.Log(cartValue / 60)) + (0.08 * Math.Min(views, 15)) - (0.0006 * (minutes - 20) * (minutes - 20))
                + (0.05 * discount) + (channel == "email" ? 0.9 : channel == "ads" ? -0.5 : 0) + (returning ? 0.7 : 0);
            logits[i] = logit;
            var p = 1 / (1 + Math.Exp(-(noiseOnly ? 0 : logit)));
            labels[i] = rng.NextDouble() < p ? 1 : 0;

            // Missing values where real data has them: unknown cart value, unknown channel.
            var cartText = rng.NextDouble() < 0.05 ? "" : cartValue.ToString(CultureInfo.InvariantCulture);
            var channelText = rng.NextDouble() < 0.05 ? "" : channel;
            sb.Append(CultureInfo.InvariantCulture,
                $"{cartText},{views},{minutes},{discount},{channelText},{(returning ? "TRUE" : "false")},{noise1:R},{noise2},{(labels[i] > 0 ? "TRUE" : "FALSE")}\n");
        }

        return new SyntheticData(sb.ToString(), logits, labels);
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

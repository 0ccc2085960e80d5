using System.Text.Json;
using System.Text.Json.Serialization;

namespace CartRecovery.Bench.Infrastructure;

/// <summary>
/// The one JSON line a scenario prints last. <see cref="Ratio"/> is value / baseline, and
/// <see cref="Met"/> says whether the scenario's goal held in this run.
/// </summary>
public sealed record BenchResult(
    [property: JsonPropertyName("scenario")] string Scenario,
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("baseline")] double Baseline,
    [property: JsonPropertyName("ratio")] double Ratio,
    [property: JsonPropertyName("goal")] string Goal,
    [property: JsonPropertyName("met")] bool Met)
{
    /// <summary>What <see cref="Baseline"/> measured (e.g. "validate-only HTTP"), so a reader need not look it up.</summary>
    [JsonPropertyName("baseline_name")]
    public string BaselineName { get; init; } = "";

    /// <summary>Further figures (latencies, memory, secondary measurements).</summary>
    [JsonPropertyName("details")]
    public Dictionary<string, double> Details { get; init; } = new();

    public string ToJson() => JsonSerializer.Serialize(this);
}

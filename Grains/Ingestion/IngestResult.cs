using System.Text.Json.Serialization;

namespace CartRecovery.Grains.Ingestion;

/// <summary>Why one event of a batch was refused.</summary>
public sealed record EventError(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("reason")] string Reason);

/// <summary>The answer to an ingestion request.</summary>
public sealed class IngestResult
{
    [JsonPropertyName("received")] public int Received { get; set; }

    [JsonPropertyName("accepted")] public int Accepted { get; set; }

    [JsonPropertyName("rejected")] public List<EventError> Rejected { get; set; } = new();
}

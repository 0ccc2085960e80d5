using System.Text.Json.Serialization;

namespace CartRecovery.Gateway.Api;

/// <summary>Error body of every 4xx answer: which field and why.</summary>
public sealed record ApiError([property: JsonPropertyName("error")] string Error);

using System.Text.Json.Serialization;
using CartRecovery.Grains.Abstractions.Nudges;

namespace CartRecovery.Gateway.Dashboard;

/// <summary>A silo as Orleans' membership sees it.</summary>
public sealed record SiloView(
    [property: JsonPropertyName("silo_id")] string SiloId,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("activations")] int Activations);

public sealed record HistoryPoint(
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("events_per_sec")] double EventsPerSec,
    [property: JsonPropertyName("call_p99_ms")] double? CallP99Ms,
    [property: JsonPropertyName("recovered_revenue")] double RecoveredRevenue,
    [property: JsonPropertyName("nudges_sent")] long NudgesSent);

public sealed record NudgeCounts(
    [property: JsonPropertyName("sent")] long Sent,
    [property: JsonPropertyName("shown")] long Shown,
    [property: JsonPropertyName("clicked")] long Clicked);

public sealed record RecoveryView(
    [property: JsonPropertyName("treatment_rate")] double TreatmentRate,
    [property: JsonPropertyName("control_rate")] double ControlRate,
    [property: JsonPropertyName("uplift")] double Uplift,
    [property: JsonPropertyName("uplift_ci95")] double[] UpliftCi95);

public sealed record ModelView(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("auc")] double? Auc,
    [property: JsonPropertyName("calibration")] IReadOnlyList<CalibrationPoint>? Calibration,
    [property: JsonPropertyName("feature_importance")] IReadOnlyList<FeatureGain>? FeatureImportance);

public sealed record CalibrationPoint(
    [property: JsonPropertyName("mean_predicted")] double MeanPredicted,
    [property: JsonPropertyName("observed_rate")] double ObservedRate,
    [property: JsonPropertyName("count")] long Count);

public sealed record FeatureGain(
    [property: JsonPropertyName("feature")] string Feature,
    [property: JsonPropertyName("gain")] double Gain);

/// <summary>What the admin dashboard shows, pushed once a second.</summary>
public sealed record DashboardSnapshot
{
    [JsonPropertyName("at")] public DateTimeOffset At { get; init; }

    [JsonPropertyName("silos")] public IReadOnlyList<SiloView> Silos { get; init; } = [];

    [JsonPropertyName("activations")] public IReadOnlyDictionary<string, long> Activations { get; init; } = new Dictionary<string, long>();

    [JsonPropertyName("events_per_sec")] public double EventsPerSec { get; init; }

    [JsonPropertyName("call_p50_ms")] public double? CallP50Ms { get; init; }

    [JsonPropertyName("call_p99_ms")] public double? CallP99Ms { get; init; }

    [JsonPropertyName("commit_p99_ms")] public double? CommitP99Ms { get; init; }

    [JsonPropertyName("errors")] public long Errors { get; init; }

    [JsonPropertyName("kafka_lag")] public long? KafkaLag { get; init; }

    [JsonPropertyName("active_carts")] public int ActiveCarts { get; init; }

    [JsonPropertyName("carts_at_risk")] public int CartsAtRisk { get; init; }

    [JsonPropertyName("nudges")] public NudgeCounts Nudges { get; init; } = new(0, 0, 0);

    [JsonPropertyName("recovery")] public RecoveryView Recovery { get; init; } = new(0, 0, 0, [0, 0]);

    [JsonPropertyName("recovered_revenue")] public double RecoveredRevenue { get; init; }

    [JsonPropertyName("history")] public IReadOnlyList<HistoryPoint> History { get; init; } = [];

    [JsonPropertyName("model")] public ModelView Model { get; init; } = new("baseline-v1", null, null, null);
}

/// <summary>The last nudges issued through this gateway (bounded), for the live feed.</summary>
public sealed class NudgeFeed
{
    private const int Capacity = 50;
    private readonly LinkedList<NudgeMessage> _items = new();

    public void Add(NudgeMessage nudge)
    {
        lock (_items)
        {
            _items.AddFirst(nudge);
            while (_items.Count > Capacity)
            {
                _items.RemoveLast();
            }
        }
    }

    public IReadOnlyList<NudgeMessage> Recent()
    {
        lock (_items)
        {
            return _items.ToList();
        }
    }
}

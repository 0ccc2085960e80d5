using System.Text.Json.Serialization;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Abstractions.Reports;
using CartRecovery.Grains.Abstractions.Sessions;
using CartRecovery.Grains.Abstractions.Shoppers;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Reports;

namespace CartRecovery.Grains.Json;

/// <summary>Source-generated JSON contracts for grain state, events and API payloads.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(StorefrontEvent))]
[JsonSerializable(typeof(List<StorefrontEvent>))]
[JsonSerializable(typeof(CartState))]
[JsonSerializable(typeof(ShopperState))]
[JsonSerializable(typeof(SessionState))]
[JsonSerializable(typeof(ShopperDecision))]
[JsonSerializable(typeof(CampaignPolicy))]
[JsonSerializable(typeof(NudgeMessage))]
[JsonSerializable(typeof(List<NudgeMessage>))]
[JsonSerializable(typeof(NudgeRecord))]
[JsonSerializable(typeof(IngestResult))]
[JsonSerializable(typeof(RecoveryReport))]
[JsonSerializable(typeof(ReportDayState))]
[JsonSerializable(typeof(ReportIndexState))]
[JsonSerializable(typeof(ReportTotals))]
public sealed partial class GrainsJsonContext : JsonSerializerContext;

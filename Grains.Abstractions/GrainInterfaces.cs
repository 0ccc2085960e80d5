using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Abstractions.Reports;
using CartRecovery.Grains.Abstractions.Sessions;
using CartRecovery.Grains.Abstractions.Shoppers;
using Orleans;
using Orleans.Concurrency;

namespace CartRecovery.Grains.Abstractions;

/// <summary>
/// A shopper (key: shopper id). Entry point of every event of that shopper: one call per shopper
/// per batch. It drops repeated event ids, keeps identity, consent, frequency cap, connection and
/// pending on-site nudges, and passes the events on to its session and cart grains.
/// </summary>
/// <remarks>
/// Calls go shopper → session and shopper → cart while a batch applies, and cart → shopper
/// (<see cref="RequestNudge"/>) while a cart decides a nudge. <see cref="RequestNudge"/> is
/// therefore <see cref="AlwaysInterleaveAttribute"/>: it runs while the shopper awaits its carts, so
/// the two directions can never wait on each other. It awaits nothing itself.
/// </remarks>
[Alias("cr.IShopperGrain")]
public interface IShopperGrain : IGrainWithStringKey
{
    /// <summary>Applies a batch of this shopper's events (in order); answers once their effects are durable.</summary>
    [Alias("Apply")]
    Task<BatchOutcome> Apply(EventBatch batch);

    /// <summary>
    /// Applies a batch already durable as entry <paramref name="entry"/> of the event journal (the
    /// embedded silo): answers once the cart writes it caused are durable. The shopper's own state
    /// is written a little later, which releases the entry.
    /// </summary>
    [Alias("ApplyJournaled")]
    Task<BatchOutcome> ApplyJournaled(EventBatch batch, long entry);

    [AlwaysInterleave, Alias("RequestNudge")]
    Task<NudgePermit> RequestNudge(NudgeRequest request);

    /// <summary>A browser connected; returns on-site nudges still pending for it.</summary>
    [Alias("Connect")]
    Task<List<NudgeMessage>> Connect();

    [Alias("Disconnect")]
    Task Disconnect();

    [Alias("Get")]
    Task<ShopperState> Get();

    /// <summary>
    /// The online features of one of the shopper's recent sessions (null: not among them). A cart
    /// asks while it scores, possibly while this shopper awaits that cart in <see cref="Apply"/>, so
    /// the call interleaves; it changes nothing.
    /// </summary>
    [AlwaysInterleave, Alias("GetSession")]
    Task<SessionState?> GetSession(string sessionId);
}

/// <summary>
/// Session features as the previous release kept them, one grain per session (key:
/// "shopperId/sessionId"). Session features now live in the shopper's state; this grain is read by
/// carts whose session predates the upgrade, and written only by shoppers of the previous release
/// while a rolling upgrade runs both (remove <see cref="Apply"/> in the release after this one).
/// </summary>
[Alias("cr.ISessionGrain")]
public interface ISessionGrain : IGrainWithStringKey
{
    [Alias("Apply")]
    Task Apply(EventBatch batch, ShopperDecision shopper);

    [Alias("Get")]
    Task<SessionState> Get();
}

/// <summary>A cart (key: "shopperId/cartId"): lines, value, stage machine, nudge ledger, attribution.</summary>
[Alias("cr.ICartGrain")]
public interface ICartGrain : IGrainWithStringKey
{
    [Alias("Apply")]
    Task Apply(EventBatch batch);

    /// <summary>Runs the stage machine up to now (what the deadline timer and reminder do; replay calls it on its own clock).</summary>
    [Alias("Advance")]
    Task Advance();

    /// <summary>Records the delivery result of an off-site nudge (webhook).</summary>
    [Alias("RecordDelivery")]
    Task RecordDelivery(string nudgeId, bool delivered, int attempts);

    [Alias("Get")]
    Task<CartState> Get();

    /// <summary>The sequence number of the last report contribution this cart has durably stored (reconciliation).</summary>
    [Alias("ReportedSeq")]
    Task<int> ReportedSeq();

    /// <summary>Reports the cart's contribution to the running totals if it has not yet (carts stored before running totals).</summary>
    [Alias("SyncReport")]
    Task SyncReport();
}

/// <summary>
/// The running recovery-report totals of the carts created on one day (key: UTC day, yyyy-MM-dd).
/// Carts report each change of their contribution; a report reads one grain per day, never the carts.
/// </summary>
[Alias("cr.IReportDayGrain")]
public interface IReportDayGrain : IGrainWithStringKey
{
    /// <summary>Applies a cart's change of contribution; answers once it is durable. A notification sent again replaces the first.</summary>
    [Alias("Apply")]
    Task Apply(ReportNotification notification);

    /// <summary>The cart has stored notification <paramref name="seq"/> itself: it will never be sent again.</summary>
    [OneWay, Alias("Ack")]
    Task Ack(string cartKey, int seq);

    [Alias("Get")]
    Task<ReportTotals> Get();
}

/// <summary>The days that have running report totals (key: "recovery").</summary>
[Alias("cr.IReportIndexGrain")]
public interface IReportIndexGrain : IGrainWithStringKey
{
    [Alias("Add")]
    Task Add(string day);

    [Alias("Days")]
    Task<List<string>> Days();
}

/// <summary>The campaign policy (key: "default").</summary>
[Alias("cr.IPolicyGrain")]
public interface IPolicyGrain : IGrainWithStringKey
{
    [Alias("Get")]
    Task<CampaignPolicy> Get();

    [Alias("Update")]
    Task<CampaignPolicy> Update(CampaignPolicy policy, long expectedVersion);
}

/// <summary>
/// Events handed from one grain to the next. Never mutated after it is built, so Orleans passes
/// it by reference between grains of one silo instead of deep-copying every event.
/// </summary>
[Immutable, GenerateSerializer, Alias("cr.EventBatch")]
public sealed class EventBatch(IReadOnlyList<StorefrontEvent> events)
{
    [Id(0)] public IReadOnlyList<StorefrontEvent> Events { get; } = events;
}

/// <summary>What a shopper's batch came to. Filled in before it is returned and never changed after, so Orleans
/// hands it back by reference instead of copying it.</summary>
[Immutable, GenerateSerializer, Alias("cr.BatchOutcome")]
public sealed class BatchOutcome
{
    /// <summary>Events applied (not repeats of an event id already applied).</summary>
    [Id(0)] public int Applied { get; set; }

    [Id(1)] public int Duplicates { get; set; }
}

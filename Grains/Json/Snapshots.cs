using System.Text.Json;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Abstractions.Sessions;
using CartRecovery.Grains.Abstractions.Shoppers;

namespace CartRecovery.Grains.Json;

/// <summary>
/// Deep copies of grain state for callers: in process a grain must never hand out the object it
/// keeps mutating in later turns.
/// </summary>
internal static class Snapshots
{
    public static CartState Copy(CartState s) => JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(s, GrainsJsonContext.Default.CartState), GrainsJsonContext.Default.CartState)!;

    public static ShopperState Copy(ShopperState s) => JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(s, GrainsJsonContext.Default.ShopperState), GrainsJsonContext.Default.ShopperState)!;

    public static SessionState Copy(SessionState s) => JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(s, GrainsJsonContext.Default.SessionState), GrainsJsonContext.Default.SessionState)!;

    public static CampaignPolicy Copy(CampaignPolicy s) => JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(s, GrainsJsonContext.Default.CampaignPolicy), GrainsJsonContext.Default.CampaignPolicy)!;
}

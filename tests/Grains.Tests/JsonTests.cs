using System.Text.Json;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Json;

namespace CartRecovery.Grains.Tests;

public sealed class JsonTests
{
    [Fact]
    public void A_missing_scored_feature_is_null_in_json_and_reads_back_as_missing()
    {
        var cart = new CartState { ScoredFeatures = [1.5f, float.NaN, 0] };
        var json = JsonSerializer.Serialize(cart, GrainsJsonContext.Default.CartState);
        Assert.Contains("\"scored_features\":[1.5,null,0]", json);
        Assert.DoesNotContain("NaN", json);
        var back = JsonSerializer.Deserialize(json, GrainsJsonContext.Default.CartState)!;
        Assert.Equal(1.5f, back.ScoredFeatures![0]);
        Assert.True(float.IsNaN(back.ScoredFeatures[1]));

        // States written by the previous release hold the string "NaN".
        var old = JsonSerializer.Deserialize("""{"scored_features":[2,"NaN"]}""", GrainsJsonContext.Default.CartState)!;
        Assert.True(float.IsNaN(old.ScoredFeatures![1]));
    }
}

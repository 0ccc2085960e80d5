using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Abstractions.Sessions;
using CartRecovery.Grains.Abstractions.Shoppers;
using CartRecovery.Grains.Json;

namespace CartRecovery.Grains.Tests;

/// <summary>
/// Stored states leave out default values (<see cref="StateJsonContext"/>). What is left out must read
/// back as what was written, for every property of every type a state holds, and readers of the
/// other contract (the API's, the previous release's) must read the same values.
/// </summary>
public sealed class StoredStateJsonTests
{
    public static TheoryData<string> StoredTypes() => new(StateJsonContext.Default.GetType()
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(JsonTypeInfo<>))
        .Select(p => p.PropertyType.GetGenericArguments()[0])
        .Where(t => t.Namespace?.StartsWith("CartRecovery.", StringComparison.Ordinal) == true)
        .Select(t => t.FullName!));

    [Theory]
    [MemberData(nameof(StoredTypes))]
    public void Every_value_type_setting_of_a_stored_type_reads_back_as_written_when_set_to_its_default(string typeName)
    {
        var checkedProperties = new List<string>();
        foreach (var (owner, property) in ValueTypeProperties(typeof(ShopperState).Assembly.GetType(typeName, throwOnError: true)!, []))
        {
            // A fresh owner with this one property at its type's default, the others as constructed.
            var instance = Activator.CreateInstance(owner)!;
            var zero = Activator.CreateInstance(property.PropertyType);
            property.SetValue(instance, zero);
            var json = JsonSerializer.Serialize(instance, StateJsonContext.Default.Options.GetTypeInfo(owner));
            var back = JsonSerializer.Deserialize(json, StateJsonContext.Default.Options.GetTypeInfo(owner))!;
            Assert.True(Equals(zero, property.GetValue(back)),
                $"{owner.Name}.{property.Name} set to {zero ?? "null"} reads back as {property.GetValue(back)} from {json}: mark it [JsonIgnore(Condition = JsonIgnoreCondition.Never)]");
            checkedProperties.Add($"{owner.Name}.{property.Name}");
        }

        // The walk reaches the types a state holds: a policy's quiet hours, a shopper's session features.
        if (typeName == typeof(CampaignPolicy).FullName)
        {
            Assert.Contains("QuietHours.StartHour", checkedProperties);
        }
        else if (typeName == typeof(ShopperState).FullName)
        {
            Assert.Contains("SessionState.CartAdds", checkedProperties);
        }
    }

    [Fact]
    public void A_policy_switched_off_with_zero_thresholds_is_stored_as_such()
    {
        var policy = new CampaignPolicy { Enabled = false, MinCartValue = 0, RiskThreshold = 0, FrequencyCapPerDay = 0, QuietHours = new QuietHours { StartHour = 0, EndHour = 0 } };
        var json = JsonSerializer.Serialize(policy, StateJsonContext.Default.CampaignPolicy);
        var back = JsonSerializer.Deserialize(json, GrainsJsonContext.Default.CampaignPolicy)!;
        Assert.False(back.Enabled);
        Assert.Equal(0, back.MinCartValue);
        Assert.Equal(0, back.RiskThreshold);
        Assert.Equal(0, back.FrequencyCapPerDay);
        Assert.Equal((0, 0), (back.QuietHours!.StartHour, back.QuietHours.EndHour));
    }

    [Fact]
    public void A_shopper_state_is_stored_without_its_zero_counters_and_reads_back_equal_through_either_contract()
    {
        var at = new DateTimeOffset(2019, 10, 1, 2, 20, 20, TimeSpan.Zero);
        var shopper = new ShopperState
        {
            ShopperId = "u1",
            FirstSeenAt = at,
            LastSeenAt = at.AddMinutes(6),
            Sessions = ["s1"],
            ActiveSessionId = "s1",
            RecentEventIds = ["e1", "e2"],
            PendingNudges = [new NudgeMessage { NudgeId = "u1/c1:onsite", CartId = "c1" }],
            SessionFeatures = [new SessionState { SessionId = "s1", ShopperId = "u1", StartedAt = at, Events = 2, ProductViews = 2, DistinctProducts = ["p1", "p2"], ViewedValue = 12.5 }],
        };

        var compact = JsonSerializer.Serialize(shopper, StateJsonContext.Default.ShopperState);
        var full = JsonSerializer.Serialize(shopper, GrainsJsonContext.Default.ShopperState);
        Assert.DoesNotContain("\"purchases\"", compact);
        Assert.DoesNotContain("\"cart_adds\"", compact);
        Assert.DoesNotContain("\"connected\"", compact);
        Assert.Contains("\"purchases\":0", full);
        Assert.True(compact.Length < full.Length * 0.8, $"{compact.Length} bytes against {full.Length}");

        // Both contracts read the compact state into the same object the full one gives.
        var fromCompact = JsonSerializer.Serialize(JsonSerializer.Deserialize(compact, GrainsJsonContext.Default.ShopperState), GrainsJsonContext.Default.ShopperState);
        var fromCompactOwn = JsonSerializer.Serialize(JsonSerializer.Deserialize(compact, StateJsonContext.Default.ShopperState), GrainsJsonContext.Default.ShopperState);
        Assert.Equal(full, fromCompact);
        Assert.Equal(full, fromCompactOwn);
    }

    [Fact]
    public void A_cart_state_with_zero_quantities_and_prices_reads_back_equal()
    {
        var cart = new CartState { CartId = "c1", ShopperId = "u1", Lines = [new CartLine { Sku = "p1", Quantity = 0, Price = 0 }], ScoredFeatures = [0, float.NaN] };
        var full = JsonSerializer.Serialize(cart, GrainsJsonContext.Default.CartState);
        var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(cart, StateJsonContext.Default.CartState), StateJsonContext.Default.CartState);
        Assert.Equal(full, JsonSerializer.Serialize(back, GrainsJsonContext.Default.CartState));
    }

    // Every settable value-type property (nullable ones included) of a type and of the types it holds.
    private static IEnumerable<(Type Owner, PropertyInfo Property)> ValueTypeProperties(Type type, HashSet<Type> seen)
    {
        if (!seen.Add(type) || type.Namespace?.StartsWith("CartRecovery.", StringComparison.Ordinal) != true || type.GetConstructor(Type.EmptyTypes) is null)
        {
            yield break;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0))
        {
            var propertyType = property.PropertyType;
            if (propertyType.IsValueType)
            {
                yield return (type, property);
                continue;
            }

            var held = propertyType.IsArray ? propertyType.GetElementType()!
                : propertyType.IsGenericType && typeof(IEnumerable).IsAssignableFrom(propertyType) ? propertyType.GetGenericArguments()[^1]
                : propertyType;
            foreach (var inner in ValueTypeProperties(held, seen))
            {
                yield return inner;
            }
        }
    }
}

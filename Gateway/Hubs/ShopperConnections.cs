using System.Collections.Concurrent;

namespace CartRecovery.Gateway.Hubs;

/// <summary>
/// The shopper hub's connections on this gateway by shopper id: a nudge goes to exactly the
/// connections whose token names its shopper. One entry per connected shopper holding its
/// connection id, or an array of ids while several tabs are open. Held for every open connection,
/// so it stays small: a SignalR group per shopper would cost a concurrent dictionary each.
/// </summary>
public sealed class ShopperConnections
{
    private readonly ConcurrentDictionary<string, object> _byShopper = new(StringComparer.Ordinal);

    public void Add(string shopperId, string connectionId) =>
        _byShopper.AddOrUpdate(shopperId, static (_, id) => id, static (_, current, id) => current switch
        {
            string one => new[] { one, id },
            string[] many => Append(many, id),
            _ => id,
        }, connectionId);

    public void Remove(string shopperId, string connectionId)
    {
        while (_byShopper.TryGetValue(shopperId, out var current))
        {
            var rest = Without(current, connectionId);
            if (ReferenceEquals(rest, current))
            {
                return; // not registered (or already removed)
            }

            var done = rest is null
                ? _byShopper.TryRemove(new KeyValuePair<string, object>(shopperId, current))
                : _byShopper.TryUpdate(shopperId, rest, current);
            if (done)
            {
                return;
            }
        }
    }

    /// <summary>The connection ids of a shopper; empty when it has none here.</summary>
    public IReadOnlyList<string> Of(string shopperId) =>
        !_byShopper.TryGetValue(shopperId, out var ids) ? [] : ids as string[] ?? [(string)ids];

    private static string[] Append(string[] many, string id)
    {
        var all = new string[many.Length + 1];
        many.CopyTo(all, 0);
        all[^1] = id;
        return all;
    }

    private static object? Without(object current, string connectionId)
    {
        if (current is string one)
        {
            return one == connectionId ? null : current;
        }

        var many = (string[])current;
        var index = Array.IndexOf(many, connectionId);
        if (index < 0)
        {
            return current;
        }

        if (many.Length == 2)
        {
            return many[1 - index];
        }

        var rest = new string[many.Length - 1];
        Array.Copy(many, 0, rest, 0, index);
        Array.Copy(many, index + 1, rest, index, many.Length - index - 1);
        return rest;
    }
}

namespace CartRecovery.Persistence.Internal;

// The key search of the reports API: keys equal to a segment or ending in "/" + segment, so a cart
// id finds "shopper/cart" without also finding a longer id that merely ends the same way.
internal static class KeySearch
{
    // At most this many keys come back (a lookup, not a scan).
    public const int Limit = 100;

    // The segment to match, from a suffix given as "c1" or "/c1".
    public static string Segment(string keySuffix) => keySuffix.TrimStart('/');
}

// The reminder row filter of Orleans' ring semantics: by grain (and name), or by uniform hash in
// (begin, end] when begin < end, else the wrapped range: above begin or at most end (so begin == end is the whole ring).
internal static class ReminderFilter
{
    public static string Sql(ReminderQuery query, string prefix) =>
        query.GrainId is not null
            ? (query.Name is not null ? $"grain_id={prefix}g AND reminder_name={prefix}n" : $"grain_id={prefix}g")
            : query.Begin < query.End
                ? $"grain_hash > {prefix}b AND grain_hash <= {prefix}e"
                : $"(grain_hash > {prefix}b OR grain_hash <= {prefix}e)";
}

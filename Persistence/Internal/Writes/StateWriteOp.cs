using System.Globalization;
using Orleans.Storage;

namespace CartRecovery.Persistence.Internal.Writes;

// A grain state write (payload set) or clear (payload null). ExpectedVersion null
// means the record must not exist yet; otherwise the stored version must equal it.
internal sealed class StateWriteOp(StateKey key, JsonPayload? payload, long? expectedVersion) : WriteOp
{
    public StateKey Key { get; } = key;

    public JsonPayload? Payload { get; } = payload;

    public long? ExpectedVersion { get; } = expectedVersion;

    public bool IsClear => Payload is null;

    // The version stored by this write (after commit).
    public long NewVersion { get; private set; }

    // The version found in storage when the write was refused (null: no record).
    public long? StoredVersion { get; private set; }

    public override (int Table, string A, string B, string C) Identity => (0, Key.GrainType, Key.GrainKey, Key.StateName);

    public void Succeeded(long newVersion) => NewVersion = newVersion;

    public void Refuse(long? storedVersion)
    {
        Refused = true;
        StoredVersion = storedVersion;
    }

    public override void ResetOutcome()
    {
        base.ResetOutcome();
        NewVersion = 0;
        StoredVersion = null;
    }

    protected override Exception RefusalException() => Conflict(Key, IsClear ? "clear" : "write", Format(ExpectedVersion), Format(StoredVersion));

    // The exception Orleans expects for an ETag mismatch, naming the grain and both versions.
    public static InconsistentStateException Conflict(StateKey key, string operation, string? heldEtag, string? storedEtag) =>
        new($"Version conflict on {operation} of {key}: the grain holds ETag {heldEtag ?? "null (new record)"} but storage holds {storedEtag ?? "no record"}.",
            storedEtag!, heldEtag!);

    private static string? Format(long? version) => version?.ToString(CultureInfo.InvariantCulture);
}

// A state serialized as UTF-8 JSON, or as a string for drivers that take text.
internal readonly struct JsonPayload
{
    private readonly byte[]? _utf8;
    private readonly string? _text;

    private JsonPayload(byte[]? utf8, string? text)
    {
        _utf8 = utf8;
        _text = text;
    }

    public static JsonPayload FromUtf8(byte[] utf8) => new(utf8, null);

    public static JsonPayload FromText(string text) => new(null, text);

    public ReadOnlySpan<byte> Utf8 => _utf8 ?? System.Text.Encoding.UTF8.GetBytes(_text!);

    public string Text => _text ?? System.Text.Encoding.UTF8.GetString(_utf8!);
}

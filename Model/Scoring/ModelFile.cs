using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CartRecovery.Model.Scoring;

/// <summary>
/// The on-disk model: a small envelope {format, format_version, checksum, model} where checksum is the
/// SHA-256 of the exact bytes of "model". Any edit, truncation or corruption therefore fails loading
/// instead of silently changing scores.
/// </summary>
public static class ModelFile
{
    public const string FormatName = "cartrecovery.gbdt";

    public const int FormatVersion = 1;

    public static void Save(GbdtModel model, string path) => AtomicFile.WriteAllBytes(path, ToJsonBytes(model));

    public static GbdtModel Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"{path}: cannot read model file: {e.Message}", e);
        }

        return Parse(bytes, path);
    }

    public static byte[] ToJsonBytes(GbdtModel model)
    {
        var body = ModelJsonWriter.Write(model);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            w.WriteNumber("format_version", FormatVersion);
            w.WriteString("checksum", Checksum(body));
            w.WritePropertyName("model");
            w.WriteRawValue(body, skipInputValidation: true);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static string ToJson(GbdtModel model) => Encoding.UTF8.GetString(ToJsonBytes(model));

    public static GbdtModel Parse(string json, string source) => Parse(Encoding.UTF8.GetBytes(json), source);

    /// <param name="source">File name or other origin, used in error messages.</param>
    public static GbdtModel Parse(ReadOnlyMemory<byte> json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{source}: not a valid model file (JSON is malformed or truncated: {e.Message})", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != FormatName)
            {
                throw new ModelFormatException($"{source}: not a {FormatName} model file (missing or wrong \"format\")");
            }

            if (!root.TryGetProperty("format_version", out var version) || !version.TryGetInt32(out var v))
            {
                throw new ModelFormatException($"{source}: \"format_version\" is missing");
            }

            if (v != FormatVersion)
            {
                throw new ModelFormatException($"{source}: format_version {v} is not supported (this reader understands {FormatVersion})");
            }

            if (!root.TryGetProperty("checksum", out var checksum) || checksum.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("model", out var body) || body.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException($"{source}: \"checksum\" or \"model\" is missing");
            }

            var raw = JsonMarshal.GetRawUtf8Value(body);
            if (!string.Equals(Checksum(raw), checksum.GetString(), StringComparison.Ordinal))
            {
                throw new ModelFormatException($"{source}: checksum mismatch: the model was modified or is corrupt");
            }

            try
            {
                return ModelJsonReader.Read(body);
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException)
            {
                throw new ModelFormatException($"{source}: invalid model: {e.Message}", e);
            }
        }
    }

    private static string Checksum(ReadOnlySpan<byte> body) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));
}

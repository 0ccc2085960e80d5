using System.Security.Cryptography;
using Google.Protobuf;

namespace CartRecovery.Model.Onnx;

/// <summary>
/// Our description of a model travels inside its ONNX file as two ModelProto.metadata_props entries appended to
/// the graph the trainer or converter produced: the <see cref="ModelInfo"/> JSON and a SHA-256 over the rest of
/// the file. Protobuf merges repeated fields in any order, so appending needs no re-encoding of the graph, and
/// any edit, truncation or corruption of a file we wrote fails loading instead of silently changing scores.
/// </summary>
internal static class OnnxEnvelope
{
    public const string InfoKey = "cartrecovery.model";
    public const string ChecksumKey = "cartrecovery.sha256";

    /// <summary>A file split into the graph as produced (<paramref name="Core"/>) and what we stamped on it.</summary>
    /// <param name="Properties">metadata_props entries the producer set (e.g. a data scientist's "feature_names").</param>
    public sealed record Opened(byte[] Core, string? InfoJson, IReadOnlyDictionary<string, string> Properties);

    public static byte[] Seal(ReadOnlySpan<byte> core, string infoJson)
    {
        var info = new ProtoWriter().Message(OnnxProto.ModelMetadataProps, OnnxProto.Entry(InfoKey, infoJson)).ToArray();
        var checksum = Checksum(core, info);
        var seal = new ProtoWriter().Message(OnnxProto.ModelMetadataProps, OnnxProto.Entry(ChecksumKey, checksum)).ToArray();
        return [.. core, .. info, .. seal];
    }

    /// <exception cref="ModelFormatException">Not a protobuf ModelProto with a graph, or a stamp that does not verify.</exception>
    public static Opened Open(byte[] bytes, string source)
    {
        using var core = new MemoryStream(bytes.Length);
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        string? info = null, checksum = null;
        byte[]? infoField = null;
        var hasGraph = false;
        try
        {
            var input = new CodedInputStream(bytes);
            while (true)
            {
                var start = (int)input.Position;
                var tag = input.ReadTag();
                if (tag == 0)
                {
                    break;
                }

                var field = WireFormat.GetTagFieldNumber(tag);
                if (field == OnnxProto.ModelMetadataProps && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                {
                    var (key, value) = ReadEntry(input.ReadBytes());
                    if (key == InfoKey)
                    {
                        info = value;
                        infoField = bytes[start..(int)input.Position];
                        continue;
                    }

                    if (key == ChecksumKey)
                    {
                        checksum = value;
                        continue;
                    }

                    properties[key] = value;
                }
                else
                {
                    hasGraph |= field == OnnxProto.ModelGraph;
                    input.SkipLastField();
                }

                core.Write(bytes, start, (int)input.Position - start);
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelFormatException($"{source}: not an ONNX model (protobuf is malformed or truncated: {e.Message})", e);
        }

        if (!hasGraph)
        {
            throw new ModelFormatException($"{source}: not an ONNX model (no graph)");
        }

        var coreBytes = core.ToArray();
        if (info is not null || checksum is not null)
        {
            if (info is null || checksum is null)
            {
                throw new ModelFormatException($"{source}: the model's {(info is null ? InfoKey : ChecksumKey)} entry is missing: the file was truncated or edited");
            }

            if (!string.Equals(Checksum(coreBytes, infoField!), checksum, StringComparison.Ordinal))
            {
                throw new ModelFormatException($"{source}: checksum mismatch: the model was modified or is corrupt");
            }
        }

        return new Opened(coreBytes, info, properties);
    }

    private static (string Key, string Value) ReadEntry(ByteString entry)
    {
        var input = entry.CreateCodedInput();
        string key = "", value = "";
        while (input.ReadTag() is var tag and not 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    key = input.ReadString();
                    break;
                case 2:
                    value = input.ReadString();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return (key, value);
    }

    private static string Checksum(ReadOnlySpan<byte> core, ReadOnlySpan<byte> infoField)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(core);
        hash.AppendData(infoField);
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

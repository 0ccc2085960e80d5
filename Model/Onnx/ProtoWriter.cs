using Google.Protobuf;

namespace CartRecovery.Model.Onnx;

/// <summary>
/// Builds one protobuf message field by field on Google.Protobuf's wire encoder. ONNX's schema is small and
/// stable, and the few messages we write (a tree ensemble graph, metadata entries) do not justify generated code.
/// Nested messages are built separately and written as length-delimited bytes.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _buffer = new();
    private readonly CodedOutputStream _out;

    public ProtoWriter() => _out = new CodedOutputStream(_buffer, leaveOpen: true);

    public ProtoWriter Int(int field, long value)
    {
        _out.WriteTag(field, WireFormat.WireType.Varint);
        _out.WriteInt64(value);
        return this;
    }

    public ProtoWriter Float(int field, float value)
    {
        _out.WriteTag(field, WireFormat.WireType.Fixed32);
        _out.WriteFloat(value);
        return this;
    }

    public ProtoWriter String(int field, string value)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteString(value);
        return this;
    }

    public ProtoWriter Bytes(int field, byte[] value)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteBytes(ByteString.CopyFrom(value));
        return this;
    }

    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    /// <summary>Repeated float, packed (every protobuf parser accepts packed encoding for repeated scalars).</summary>
    public ProtoWriter Floats(int field, IReadOnlyList<float> values)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteLength(values.Count * sizeof(float));
        foreach (var v in values)
        {
            _out.WriteFloat(v);
        }

        return this;
    }

    /// <summary>Repeated int64, packed.</summary>
    public ProtoWriter Ints(int field, IReadOnlyList<long> values)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteLength(values.Sum(CodedOutputStream.ComputeInt64Size));
        foreach (var v in values)
        {
            _out.WriteInt64(v);
        }

        return this;
    }

    /// <summary>Repeated string: one field per value (length-delimited values cannot be packed).</summary>
    public ProtoWriter Strings(int field, IEnumerable<string> values)
    {
        foreach (var v in values)
        {
            String(field, v);
        }

        return this;
    }

    public byte[] ToArray()
    {
        _out.Flush();
        return _buffer.ToArray();
    }
}
